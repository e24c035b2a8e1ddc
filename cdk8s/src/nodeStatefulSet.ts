/**
 * One node of the platform = one pod of this StatefulSet: the app, the sync service and the node's own
 * PostgreSQL, with a claim template for the database files — or, with `externalDatabase`, the app and the sync
 * service only, every pod on the one external database.
 */
import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { ContainerResourcesConfig, ResolvedPlatformConfig } from './platformConfigTypes';
import type { EnvSource, PlannedVariable } from './environment';
import { nodeIdentityInputs, withNodeIdentity } from './nodeIdentityScript';
import { APP_ROLE, databaseRolesInitdbScript } from '@msk/kit/postgres';
import { APP_METRICS_PORT, APP_METRICS_PORT_NAME, SYNC_METRICS_PORT, SYNC_METRICS_PORT_NAME } from './metricsPorts';

export const APP_CONTAINER = 'app';
export const SYNC_CONTAINER = 'sync';
export const POSTGRES_CONTAINER = 'postgres';
export const DATA_CLAIM = 'data';
export const POSTGRES_DATA_PATH = '/var/lib/postgresql/data';
/** A subfolder, because initdb refuses a mount point that is not empty (lost+found) and owned by another user. */
export const PGDATA = `${POSTGRES_DATA_PATH}/pgdata`;
export const POSTGRES_PORT = 5432;
/** The superuser: used only by the image's init to create the roles (initdb script), password random and kept nowhere. */
export const POSTGRES_USER = 'postgres';
/** Connections need a password (scram-sha-256) on every address, 127.0.0.1 too; the socket only lets its own OS user in. */
export const POSTGRES_INITDB_ARGS = '--auth-host=scram-sha-256 --auth-local=peer';
const INITDB_SCRIPTS_PATH = '/docker-entrypoint-initdb.d';
const INITDB_ROLES_SCRIPT = '10-msk-roles.sh';
/** The image's entrypoint with a random superuser password (it insists on one); "$@" is the container's args. */
export const POSTGRES_COMMAND = [
  '/bin/sh',
  '-c',
  'POSTGRES_PASSWORD="$(od -An -N24 -tx1 /dev/urandom | tr -d \' \\n\')" exec docker-entrypoint.sh postgres',
];
export const POSTGRES_DB = 'multi_business_db';
/**
 * A terminating pod's app keeps serving for this long before it gets SIGTERM, while the Service and the ingress
 * take it out of their endpoints (seen on a real cluster: without it, requests still arrived after the app and
 * its database had begun to stop).
 */
export const APP_DRAIN_SECONDS = 5;
/** kplus puts this label on every pod; we select by our own stable labels instead, so it is removed. */
const KPLUS_ADDRESS_LABEL_PATH = '/spec/template/metadata/labels/cdk8s.io~1metadata.addr';

export interface NodeStatefulSetProps {
  readonly config: ResolvedPlatformConfig;
  readonly peers: kplus.Service;
  readonly serviceAccount: kplus.IServiceAccount;
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly sharedSecret: kplus.ISecret;
  readonly appEnvironment: readonly PlannedVariable[];
  readonly syncEnvironment: readonly PlannedVariable[];
  readonly nodeIdSeed: string;
  readonly appPort: number;
  readonly syncPort: number;
}

/** The containers that run the node-identity script: their names and ports (besides the app's configurable one). */
const NODE_CONTAINERS = {
  app: { name: APP_CONTAINER, portName: 'http', metricsPortName: APP_METRICS_PORT_NAME, metricsPort: APP_METRICS_PORT },
  sync: {
    name: SYNC_CONTAINER,
    portName: 'sync',
    metricsPortName: SYNC_METRICS_PORT_NAME,
    metricsPort: SYNC_METRICS_PORT,
  },
} as const;

type SecretByName = (name: string | undefined) => kplus.ISecret;

function toEnvValue(source: EnvSource, secret: SecretByName): kplus.EnvValue {
  switch (source.from) {
    case 'secret':
      return kplus.EnvValue.fromSecretValue(
        { secret: secret(source.secretName), key: source.key },
        { optional: source.optional },
      );
    case 'value':
      return kplus.EnvValue.fromValue(source.value);
    case 'pod-field': {
      const label = /^metadata\.labels\['(.+)'\]$/.exec(source.fieldPath);
      return label
        ? kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_LABEL, { key: label[1] })
        : kplus.EnvValue.fromFieldRef(source.fieldPath as kplus.EnvFieldPaths);
    }
    case 'entry-script':
      throw new Error('a variable set by the entry script has no env entry');
  }
}

function envVariables(plan: readonly PlannedVariable[], secret: SecretByName): Record<string, kplus.EnvValue> {
  const variables: Record<string, kplus.EnvValue> = {};
  for (const { name, source } of plan) {
    if (source.from !== 'entry-script') variables[name] = toEnvValue(source, secret);
  }
  return variables;
}

function resources(config: ContainerResourcesConfig): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.millis(config.requests.cpuMillis), limit: kplus.Cpu.millis(config.limits.cpuMillis) },
    memory: { request: Size.mebibytes(config.requests.memoryMiB), limit: Size.mebibytes(config.limits.memoryMiB) },
  };
}

/** Non-root, read-only root filesystem, no privilege escalation, no capabilities. */
function lockedDown(user: number): kplus.ContainerSecurityContextProps {
  return {
    user,
    group: user,
    ensureNonRoot: true,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    // 'ALL' is what Kubernetes expects; kplus's Capability enum only lists the single CAP_ names.
    capabilities: { drop: ['ALL' as kplus.Capability] },
  };
}

function image(ref: { repository: string; tag: string }): string {
  return `${ref.repository}:${ref.tag}`;
}

const STARTUP = { periodSeconds: Duration.seconds(2), timeoutSeconds: Duration.seconds(2), failureThreshold: 60 };
const LIVENESS = { periodSeconds: Duration.seconds(10), timeoutSeconds: Duration.seconds(3), failureThreshold: 3 };
const READINESS = { periodSeconds: Duration.seconds(5), timeoutSeconds: Duration.seconds(3), failureThreshold: 2 };

/**
 * Probes on an HTTP port: a generous startup window, then liveness and readiness. `scheme`: HTTPS for the sync
 * port, which speaks TLS (SYNC_TLS is never off in these manifests); the kubelet does not verify certificates.
 */
function httpProbes(port: number, livePath: string, readyPath: string, scheme = kplus.ConnectionScheme.HTTP) {
  return {
    startup: kplus.Probe.fromHttpGet(livePath, { port, scheme, ...STARTUP }),
    liveness: kplus.Probe.fromHttpGet(livePath, { port, scheme, ...LIVENESS }),
    readiness: kplus.Probe.fromHttpGet(readyPath, { port, scheme, ...READINESS }),
  };
}

/**
 * The app's probes from its configured paths: an empty liveness path checks that the port accepts connections;
 * an empty readiness path makes the app ready when it is live, leaving the pod's readiness to the sync
 * container's /ready (which every pod has).
 */
export function appProbes(port: number, probes: ResolvedPlatformConfig['app']['probes']) {
  const live = (timing: typeof STARTUP) =>
    probes.livenessPath === ''
      ? kplus.Probe.fromTcpSocket({ port, ...timing })
      : kplus.Probe.fromHttpGet(probes.livenessPath, { port, scheme: kplus.ConnectionScheme.HTTP, ...timing });
  return {
    startup: live(STARTUP),
    liveness: live(LIVENESS),
    readiness:
      probes.readinessPath === ''
        ? live(READINESS)
        : kplus.Probe.fromHttpGet(probes.readinessPath, { port, scheme: kplus.ConnectionScheme.HTTP, ...READINESS }),
  };
}

function postgresProbes() {
  const isReady = ['pg_isready', '-h', '127.0.0.1', '-p', String(POSTGRES_PORT), '-U', APP_ROLE, '-d', POSTGRES_DB];
  return {
    // crash recovery after an unclean stop can take minutes: 5 minutes before liveness applies
    startup: kplus.Probe.fromCommand(isReady, {
      periodSeconds: Duration.seconds(5),
      timeoutSeconds: Duration.seconds(3),
      failureThreshold: 60,
    }),
    liveness: kplus.Probe.fromCommand(isReady, {
      periodSeconds: Duration.seconds(10),
      timeoutSeconds: Duration.seconds(5),
      failureThreshold: 6,
    }),
    readiness: kplus.Probe.fromCommand(isReady, {
      periodSeconds: Duration.seconds(5),
      timeoutSeconds: Duration.seconds(3),
      failureThreshold: 3,
    }),
  };
}

/** Waits (bounded by the grace period) until nothing listens on the app's port any more. */
function postgresWaitsForApp(appPort: number, gracePeriodSeconds: number): string[] {
  const seconds = Math.max(1, gracePeriodSeconds - APP_DRAIN_SECONDS);
  return [
    'bash',
    '-c',
    `for _ in $(seq 1 ${seconds}); do (: </dev/tcp/127.0.0.1/${appPort}) 2>/dev/null || exit 0; sleep 1; done`,
  ];
}

/** The app's own extra variables, after the kit's, sorted by name (as Helm's `range` over a map writes them). */
function appExtraEnvironment(config: ResolvedPlatformConfig): Record<string, kplus.EnvValue> {
  return Object.fromEntries(
    Object.keys(config.app.env)
      .sort()
      .map((name) => [name, kplus.EnvValue.fromValue(config.app.env[name] as string)]),
  );
}

export function addNodeStatefulSet(scope: Construct, props: NodeStatefulSetProps): kplus.StatefulSet {
  const { config } = props;
  const otherSecrets = new Map<string, kplus.ISecret>();
  const sharedSecret: SecretByName = (name) => {
    if (name === undefined) return props.sharedSecret;
    const known = otherSecrets.get(name) ?? kplus.Secret.fromSecretName(scope, `secret-${otherSecrets.size}`, name);
    otherSecrets.set(name, known);
    return known;
  };
  const emptyDir = (name: string, options?: kplus.EmptyDirVolumeOptions) =>
    kplus.Volume.fromEmptyDir(scope, `volume-${name}`, name, options);
  const appCache = emptyDir('app-next-cache');
  const appTmp = emptyDir('app-tmp');
  const syncTmp = emptyDir('sync-tmp');
  const identityInputs = nodeIdentityInputs(props.nodeIdSeed);
  const postgres = config.externalDatabase === undefined ? postgresContainer(scope, props) : undefined;
  /** The app and the sync container alike: the node-identity script runs first and sets the identity variables. */
  const nodeContainer = (
    which: 'app' | 'sync',
    port: number,
    environment: readonly PlannedVariable[],
    extraEnvironment: Record<string, kplus.EnvValue> = {},
  ) => {
    const { name, portName, metricsPortName, metricsPort } = NODE_CONTAINERS[which];
    return {
      name,
      image: image(config.images[which]),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: withNodeIdentity(config[which].command),
      ports: [
        { name: portName, number: port },
        { name: metricsPortName, number: metricsPort },
      ],
      envVariables: {
        ...envVariables(identityInputs, sharedSecret),
        ...envVariables(environment, sharedSecret),
        ...extraEnvironment,
      },
    };
  };

  const statefulSet = new kplus.StatefulSet(scope, 'nodes', {
    metadata: { name: config.name },
    select: false,
    service: props.peers,
    replicas: config.replicas,
    podManagementPolicy: kplus.PodManagementPolicy.PARALLEL,
    strategy: kplus.StatefulSetUpdateStrategy.rollingUpdate(),
    serviceAccount: props.serviceAccount,
    automountServiceAccountToken: config.discovery === 'kubernetes',
    terminationGracePeriod: Duration.seconds(config.terminationGracePeriodSeconds),
    securityContext: {
      ensureNonRoot: true,
      // the data volume must be writable by PostgreSQL's group
      fsGroup: config.postgres.runAsUser,
      fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
    },
    containers: [
      {
        ...nodeContainer('app', props.appPort, props.appEnvironment, appExtraEnvironment(config)),
        ...(config.app.args.length > 0 ? { args: [...config.app.args] } : {}),
        volumeMounts: [
          { path: config.app.cacheMountPath, volume: appCache },
          { path: '/tmp', volume: appTmp },
        ],
        ...appProbes(props.appPort, config.app.probes),
        lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', String(APP_DRAIN_SECONDS)]) },
        resources: resources(config.app.resources),
        securityContext: lockedDown(config.app.runAsUser),
      },
      {
        ...nodeContainer('sync', props.syncPort, props.syncEnvironment),
        volumeMounts: [{ path: '/tmp', volume: syncTmp }],
        ...httpProbes(props.syncPort, '/health', '/ready', kplus.ConnectionScheme.HTTPS),
        resources: resources(config.sync.resources),
        securityContext: lockedDown(config.sync.runAsUser),
      },
      ...(postgres ? [postgres] : []),
    ],
  });
  statefulSet.select(kplus.LabelSelector.of({ labels: { ...props.selectorLabels } }));
  for (const [key, value] of Object.entries(props.selectorLabels)) statefulSet.podMetadata.addLabel(key, value);
  statefulSet.podMetadata.addLabel('app.kubernetes.io/component', 'node');
  // soft: on a one-node cluster (or too few hosts) pods still schedule, side by side
  statefulSet.scheduling.separate(
    kplus.Pods.select(scope, 'same-installation-pods', { labels: { ...props.selectorLabels } }),
    {
      weight: 100,
      topology: kplus.Topology.HOSTNAME,
    },
  );

  ApiObject.of(statefulSet).addJsonPatch(
    JsonPatch.remove(KPLUS_ADDRESS_LABEL_PATH),
    // kplus has no seccomp prop; the Pod Security "restricted" profile asks for it
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  );
  if (postgres) addDataClaim(statefulSet, props);
  return statefulSet;
}

/** The node's own PostgreSQL: its container (with the roles' initdb script); its data is the claim template's. */
function postgresContainer(scope: Construct, props: NodeStatefulSetProps): kplus.ContainerProps {
  const { config, sharedSecret } = props;
  const emptyDir = (name: string, options?: kplus.EmptyDirVolumeOptions) =>
    kplus.Volume.fromEmptyDir(scope, `volume-${name}`, name, options);
  const postgresRun = emptyDir('postgres-run');
  const postgresTmp = emptyDir('postgres-tmp');
  const postgresShm = emptyDir('postgres-shm', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(256) });
  const initdbScripts = new kplus.ConfigMap(scope, 'postgres-initdb', {
    metadata: { name: `${config.name}-postgres-initdb` },
    data: { [INITDB_ROLES_SCRIPT]: databaseRolesInitdbScript() },
  });
  const initdb = kplus.Volume.fromConfigMap(scope, 'volume-postgres-initdb', initdbScripts, {
    name: 'postgres-initdb',
    defaultMode: 0o555,
  });
  return {
    name: POSTGRES_CONTAINER,
    image: image(config.images.postgres),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: POSTGRES_COMMAND,
    ports: [{ name: 'postgres', number: POSTGRES_PORT }],
    envVariables: {
      POSTGRES_USER: kplus.EnvValue.fromValue(POSTGRES_USER),
      POSTGRES_DB: kplus.EnvValue.fromValue(POSTGRES_DB),
      POSTGRES_INITDB_ARGS: kplus.EnvValue.fromValue(POSTGRES_INITDB_ARGS),
      POSTGRES_HOST_AUTH_METHOD: kplus.EnvValue.fromValue('scram-sha-256'),
      // the roles' passwords, read by the initdb script when the volume is initialised
      DATABASE_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: sharedSecret, key: 'DATABASE_PASSWORD' }),
      SYNC_DATABASE_PASSWORD: kplus.EnvValue.fromSecretValue({ secret: sharedSecret, key: 'SYNC_DATABASE_PASSWORD' }),
      PGDATA: kplus.EnvValue.fromValue(PGDATA),
    },
    volumeMounts: [
      { path: INITDB_SCRIPTS_PATH, volume: initdb, readOnly: true },
      { path: '/var/run/postgresql', volume: postgresRun },
      { path: '/tmp', volume: postgresTmp },
      { path: '/dev/shm', volume: postgresShm },
    ],
    ...postgresProbes(),
    // The database outlives the app in a terminating pod: a request the app still serves (its drain, then its
    // in-flight work) finds its database up instead of a session treated as signed out for want of it.
    lifecycle: {
      preStop: kplus.Handler.fromCommand(postgresWaitsForApp(props.appPort, config.terminationGracePeriodSeconds)),
    },
    resources: resources(config.postgres.resources),
    securityContext: lockedDown(config.postgres.runAsUser),
  };
}

function addDataClaim(statefulSet: kplus.StatefulSet, props: NodeStatefulSetProps): void {
  const { config } = props;
  const postgresIndex = statefulSet.containers.findIndex((c) => c.name === POSTGRES_CONTAINER);
  const storageClass =
    config.postgres.storageClassName === undefined ? {} : { storageClassName: config.postgres.storageClassName };
  ApiObject.of(statefulSet).addJsonPatch(
    // kplus-27 has no volumeClaimTemplates prop; the mount refers to the claim template, not to a pod volume
    JsonPatch.add('/spec/volumeClaimTemplates', [
      {
        metadata: { name: DATA_CLAIM, labels: { ...props.selectorLabels } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...storageClass,
          resources: { requests: { storage: kplus.k8s.Quantity.fromString(config.postgres.storageSize) } },
        },
      },
    ]),
    JsonPatch.add(`/spec/template/spec/containers/${postgresIndex}/volumeMounts/-`, {
      name: DATA_CLAIM,
      mountPath: POSTGRES_DATA_PATH,
    }),
  );
}
