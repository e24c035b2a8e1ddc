import { App, Testing } from 'cdk8s';
import { VARIABLES } from '@msk/contract';
import { databaseRolesInitdbScript } from '@msk/kit/postgres';
import { type PlatformConfig, resolvePlatformConfig } from './platformConfigSchema';
import type { KubernetesObject } from './kubernetesObject';
import { containerOf, envOf, type Loose, objectOf, podSpecOf } from './manifestQueries';
import { NODE_IDENTITY_SCRIPT, SCRIPT_NAME } from './nodeIdentityScript';
import { MultiServerKitChart } from './platformChart';

function synth(overrides: Partial<PlatformConfig> = {}): KubernetesObject[] {
  const config = resolvePlatformConfig({ host: 'platform.example.com', ...overrides });
  return Testing.synth(new MultiServerKitChart(new App(), 'test', config)) as KubernetesObject[];
}

const SELECTOR = { 'app.kubernetes.io/name': 'multi-server-kit', 'app.kubernetes.io/instance': 'multi-server-kit' };
const objects = synth();
const statefulSet = objectOf(objects, 'StatefulSet');
const pod = podSpecOf(objects);

describe('the node StatefulSet', () => {
  it('default: is named after the installation, runs 2 pods in parallel and updates them one by one', () => {
    expect(statefulSet.metadata.name).toBe('multi-server-kit');
    expect(statefulSet.metadata.namespace).toBe('multi-server-kit');
    expect(statefulSet.spec.replicas).toBe(2);
    expect(statefulSet.spec.podManagementPolicy).toBe('Parallel');
    expect(statefulSet.spec.updateStrategy.type).toBe('RollingUpdate');
  });

  it('can configure the number of nodes, the name and the namespace', () => {
    const custom = objectOf(synth({ replicas: 5, name: 'shop', namespace: 'prod' }), 'StatefulSet');
    expect(custom.spec.replicas).toBe(5);
    expect(custom.metadata.name).toBe('shop');
    expect(custom.metadata.namespace).toBe('prod');
  });

  it('uses the headless peers Service as its serviceName', () => {
    expect(statefulSet.spec.serviceName).toBe('multi-server-kit-peers');
  });

  it('selects its pods by the stable installation labels only (no kplus address label)', () => {
    expect(statefulSet.spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(statefulSet.spec.template.metadata.labels).toEqual({ ...SELECTOR, 'app.kubernetes.io/component': 'node' });
  });

  it('runs the app, sync and postgres containers in one pod', () => {
    expect(pod.containers.map((c: Loose) => c.name)).toEqual(['app', 'sync', 'postgres']);
  });

  it("default: pins the images of the lead's decision and pulls them only if not present", () => {
    expect(pod.containers.map((c: Loose) => c.image)).toEqual([
      'multi-server-kit/app:0.1.0',
      'multi-server-kit/sync:0.1.0',
      'postgres:17.6-bookworm',
    ]);
    for (const container of pod.containers) expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  it('can configure image repositories and tags', () => {
    const custom = synth({ images: { app: { repository: 'registry.example.com:5000/team/app', tag: '1.2.3' } } });
    expect(containerOf(custom, 'app').image).toBe('registry.example.com:5000/team/app:1.2.3');
    expect(containerOf(custom, 'sync').image).toBe('multi-server-kit/sync:0.1.0');
  });

  it('gives each pod a data claim (ReadWriteOnce, 10Gi by default) mounted by postgres, with PGDATA below the mount point', () => {
    expect(statefulSet.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data', labels: SELECTOR },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      },
    ]);
    const postgres = containerOf(objects, 'postgres');
    expect(postgres.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
    expect(envOf(objects, 'postgres', 'PGDATA').value).toBe('/var/lib/postgresql/data/pgdata');
    expect(pod.volumes.map((v: Loose) => v.name)).not.toContain('data');
  });

  it('can configure the storage size and class of the data claims', () => {
    const claim = objectOf(synth({ postgres: { storageSize: '50Gi', storageClassName: 'fast-ssd' } }), 'StatefulSet')
      .spec.volumeClaimTemplates[0];
    expect(claim.spec.resources.requests.storage).toBe('50Gi');
    expect(claim.spec.storageClassName).toBe('fast-ssd');
  });

  it('spreads pods across hosts softly (preferred, not required, anti-affinity)', () => {
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      {
        weight: 100,
        podAffinityTerm: { labelSelector: { matchLabels: SELECTOR }, topologyKey: 'kubernetes.io/hostname' },
      },
    ]);
  });

  it('default: gives containers 60 s between SIGTERM and SIGKILL; can configure it', () => {
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(podSpecOf(synth({ terminationGracePeriodSeconds: 120 })).terminationGracePeriodSeconds).toBe(120);
  });
});

describe('an external database (externalDatabase)', () => {
  const external = synth({
    replicas: 3,
    externalDatabase: {
      host: 'db-rw.databases.svc',
      existingSecret: 'db-credentials',
      passwordKey: 'app',
      syncPasswordKey: 'sync',
      sslMode: 'require',
    },
  });
  const externalSet = objectOf(external, 'StatefulSet');
  const externalPod = podSpecOf(external);
  const env = (container: string, name: string) => envOf(external, container, name);

  it('runs the app and sync containers only: no PostgreSQL container, volumes, initdb ConfigMap or claim template', () => {
    expect(externalPod.containers.map((c: Loose) => c.name)).toEqual(['app', 'sync']);
    expect(externalPod.volumes.map((v: Loose) => v.name)).toEqual(['app-next-cache', 'app-tmp', 'sync-tmp']);
    expect(externalSet.spec.volumeClaimTemplates).toBeUndefined();
    expect(external.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
  });

  it('points both roles at the one database and declares DATABASE_TOPOLOGY=shared to the sync service', () => {
    expect(env('app', 'DATABASE_URL').value).toBe(
      'postgresql://msk_app@db-rw.databases.svc:5432/multi_business_db?sslmode=require',
    );
    expect(env('sync', 'SYNC_DATABASE_URL').value).toBe(
      'postgresql://msk_sync@db-rw.databases.svc:5432/multi_business_db?sslmode=require',
    );
    expect(env('sync', 'DATABASE_TOPOLOGY').value).toBe('shared');
    expect(env('app', 'DATABASE_TOPOLOGY')).toBeUndefined();
  });

  it("reads the passwords from the existing Secret's keys, the other secrets from the shared Secret", () => {
    expect(env('app', 'DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({
      name: 'db-credentials',
      key: 'app',
      optional: false,
    });
    expect(env('sync', 'SYNC_DATABASE_PASSWORD').valueFrom.secretKeyRef).toEqual({
      name: 'db-credentials',
      key: 'sync',
      optional: false,
    });
    expect(env('sync', 'NEXTAUTH_SECRET').valueFrom.secretKeyRef.name).toBe('multi-server-kit-shared');
  });

  it('still derives node IDs from the pod ordinals', () => {
    expect(env('sync', 'MSK_POD_INDEX')).toEqual(envOf(objects, 'sync', 'MSK_POD_INDEX'));
    expect(env('app', 'MSK_NODE_ID_SEED')).toEqual(envOf(objects, 'app', 'MSK_NODE_ID_SEED'));
    expect(externalSet.spec.replicas).toBe(3);
  });

  it("lets the pods reach the database's port through a restricted NetworkPolicy", () => {
    expect(objectOf(external, 'NetworkPolicy').spec.egress).toContainEqual({
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
    expect(objectOf(objects, 'NetworkPolicy').spec.egress).not.toContainEqual({
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
  });

  it("default: the pods have their own PostgreSQL and no DATABASE_TOPOLOGY (the contract's per-node)", () => {
    expect(envOf(objects, 'sync', 'DATABASE_TOPOLOGY')).toBeUndefined();
    expect(envOf(objects, 'sync', 'DATABASE_URL').value).toBe('postgresql://msk_app@127.0.0.1:5432/multi_business_db');
  });
});

describe('node identity', () => {
  it.each(['app', 'sync'])(
    '%s starts through the entry script that sets SYNC_NODE_ID, then execs its real command',
    (name) => {
      const command = containerOf(objects, name).command;
      expect(command.slice(0, 4)).toEqual(['sh', '-c', NODE_IDENTITY_SCRIPT, SCRIPT_NAME]);
      expect(command.slice(4)).toEqual(
        name === 'app' ? ['node', 'server.js'] : ['node', 'sync/dist/cli/main.js', 'run'],
      );
    },
  );

  it.each(['app', 'sync'])(
    '%s reads the ordinal from the pod-index label and the name from the pod (downward API)',
    (name) => {
      expect(envOf(objects, name, 'MSK_POD_INDEX').valueFrom).toEqual({
        fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" },
      });
      expect(envOf(objects, name, 'SYNC_NODE_NAME').valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      expect(envOf(objects, name, 'SYNC_NODE_ID')).toBeUndefined();
    },
  );

  it('seeds node IDs with namespace/name, so another release or namespace gets other IDs', () => {
    expect(envOf(objects, 'sync', 'MSK_NODE_ID_SEED').value).toBe('multi-server-kit/multi-server-kit');
    expect(envOf(synth({ name: 'shop' }), 'sync', 'MSK_NODE_ID_SEED').value).toBe('multi-server-kit/shop');
    expect(envOf(synth({ namespace: 'staging' }), 'app', 'MSK_NODE_ID_SEED').value).toBe('staging/multi-server-kit');
  });

  it('falls back to the pod name suffix in the entry script when the label is empty', () => {
    expect(NODE_IDENTITY_SCRIPT).toContain('ordinal="${name##*-}"');
  });

  it('can configure the commands the entry script execs', () => {
    const custom = synth({ app: { command: ['node', 'apps/web/server.js'] } });
    expect(containerOf(custom, 'app').command.slice(4)).toEqual(['node', 'apps/web/server.js']);
  });
});

describe('secrets', () => {
  const sharedSecrets = VARIABLES.filter((v) => v.scope === 'shared' && v.secret);

  it('references every shared secret of the env contract from the ONE Secret, in each container that reads it', () => {
    expect(sharedSecrets.map((v) => v.name)).toEqual(
      expect.arrayContaining([
        'NEXTAUTH_SECRET',
        'NEXTAUTH_SECRET_PREVIOUS',
        'SYNC_REGISTRATION_KEY',
        'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
        'DATABASE_PASSWORD',
        'SYNC_DATABASE_PASSWORD',
      ]),
    );
    for (const spec of sharedSecrets) {
      for (const consumer of ['app', 'sync'] as const) {
        const entry = envOf(objects, consumer, spec.name);
        if (!spec.readBy.includes(consumer)) {
          expect(entry).toBeUndefined();
          continue;
        }
        expect(entry.value).toBeUndefined();
        expect(entry.valueFrom.secretKeyRef).toMatchObject({ name: 'multi-server-kit-shared', key: spec.name });
      }
    }
  });

  it('requires the keys the containers need and leaves the optional ones optional', () => {
    expect(envOf(objects, 'app', 'NEXTAUTH_SECRET').valueFrom.secretKeyRef.optional).toBe(false);
    expect(envOf(objects, 'sync', 'SYNC_REGISTRATION_KEY').valueFrom.secretKeyRef.optional).toBe(false);
    expect(envOf(objects, 'app', 'DATABASE_PASSWORD').valueFrom.secretKeyRef.optional).toBe(false);
    expect(envOf(objects, 'app', 'NEXTAUTH_SECRET_PREVIOUS').valueFrom.secretKeyRef.optional).toBe(true);
    expect(envOf(objects, 'app', 'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY').valueFrom.secretKeyRef.optional).toBe(true);
  });

  it('trusts no connection to PostgreSQL and keeps no superuser password: scram-sha-256 on every address, peer on the socket', () => {
    expect(envOf(objects, 'postgres', 'POSTGRES_USER').value).toBe('postgres');
    expect(envOf(objects, 'postgres', 'POSTGRES_DB').value).toBe('multi_business_db');
    expect(envOf(objects, 'postgres', 'POSTGRES_INITDB_ARGS').value).toBe(
      '--auth-host=scram-sha-256 --auth-local=peer',
    );
    expect(envOf(objects, 'postgres', 'POSTGRES_HOST_AUTH_METHOD').value).toBe('scram-sha-256');
    expect(envOf(objects, 'postgres', 'POSTGRES_PASSWORD')).toBeUndefined();
    expect(containerOf(objects, 'postgres').command.join(' ')).toContain(
      'POSTGRES_PASSWORD="$(od -An -N24 -tx1 /dev/urandom',
    );
  });

  it('creates the roles msk_app and msk_sync with the initdb script from a ConfigMap, their passwords from the Secret', () => {
    for (const key of ['DATABASE_PASSWORD', 'SYNC_DATABASE_PASSWORD']) {
      expect(envOf(objects, 'postgres', key).valueFrom).toEqual({
        secretKeyRef: { name: 'multi-server-kit-shared', key },
      });
    }
    const configMap = objectOf(objects, 'ConfigMap');
    expect(configMap.data['10-msk-roles.sh']).toBe(databaseRolesInitdbScript());
    const postgres = containerOf(objects, 'postgres');
    const mount = postgres.volumeMounts.find((m: Loose) => m.mountPath === '/docker-entrypoint-initdb.d');
    const volume = objectOf(objects, 'StatefulSet').spec.template.spec.volumes.find(
      (v: Loose) => v.name === mount.name,
    );
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    expect(envOf(objects, 'app', 'DATABASE_URL').value).toBe('postgresql://msk_app@127.0.0.1:5432/multi_business_db');
    expect(envOf(objects, 'sync', 'SYNC_DATABASE_URL').value).toBe(
      'postgresql://msk_sync@127.0.0.1:5432/multi_business_db',
    );
  });

  it('can use an existing Secret by name', () => {
    const custom = synth({ sharedSecretName: 'vault-synced-platform' });
    for (const name of ['app', 'sync'])
      expect(envOf(custom, name, 'NEXTAUTH_SECRET').valueFrom.secretKeyRef.name).toBe('vault-synced-platform');
    expect(envOf(custom, 'postgres', 'DATABASE_PASSWORD').valueFrom.secretKeyRef.name).toBe('vault-synced-platform');
  });

  it('synthesizes no Secret object', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('plain and per-pod settings', () => {
  it.each(['app', 'sync'])('%s gets NEXTAUTH_URL = the Ingress URL: http://host without TLS', (name) => {
    expect(envOf(objects, name, 'NEXTAUTH_URL').value).toBe('http://platform.example.com');
  });

  it.each(['app', 'sync'])('%s gets NEXTAUTH_URL = https://host with TLS', (name) => {
    expect(envOf(synth({ tls: { secretName: 'platform-tls' } }), name, 'NEXTAUTH_URL').value).toBe(
      'https://platform.example.com',
    );
  });

  it.each(['app', 'sync'])(
    "%s gets DATABASE_URL to its own pod's PostgreSQL as msk_app, without a password",
    (name) => {
      expect(envOf(objects, name, 'DATABASE_URL').value).toBe('postgresql://msk_app@127.0.0.1:5432/multi_business_db');
    },
  );

  it("binds app and sync to all interfaces on the contract's ports", () => {
    expect(envOf(objects, 'app', 'HOSTNAME').value).toBe('0.0.0.0');
    expect(envOf(objects, 'app', 'PORT').value).toBe('8080');
    expect(envOf(objects, 'sync', 'SYNC_BIND_ADDRESS').value).toBe('0.0.0.0');
    expect(envOf(objects, 'sync', 'SYNC_SERVICE_PORT').value).toBe('8765');
    expect(envOf(objects, 'sync', 'SYNC_HTTP_PORT').value).toBe('8080');
    expect(envOf(objects, 'app', 'NODE_ENV').value).toBe('production');
  });

  it("default: discovers peers by DNS on the headless Service's fully qualified name", () => {
    expect(envOf(objects, 'sync', 'SYNC_DISCOVERY').value).toBe('dns');
    expect(envOf(objects, 'sync', 'SYNC_DNS_NAME').value).toBe(
      'multi-server-kit-peers.multi-server-kit.svc.cluster.local',
    );
    expect(envOf(objects, 'sync', 'SYNC_KUBERNETES_SERVICE')).toBeUndefined();
    expect(envOf(objects, 'sync', 'SYNC_PEERS')).toBeUndefined();
  });

  it('can configure the cluster domain of SYNC_DNS_NAME', () => {
    expect(envOf(synth({ clusterDomain: 'corp.internal' }), 'sync', 'SYNC_DNS_NAME').value).toBe(
      'multi-server-kit-peers.multi-server-kit.svc.corp.internal',
    );
  });

  it('passes operator settings of the contract as plain variables to the containers that read them', () => {
    const custom = synth({ settings: { APP_NAME: 'Acme Platform', SYNC_LOG_LEVEL: 'debug' } });
    expect(envOf(custom, 'app', 'APP_NAME').value).toBe('Acme Platform');
    expect(envOf(custom, 'sync', 'APP_NAME')).toBeUndefined();
    expect(envOf(custom, 'sync', 'SYNC_LOG_LEVEL').value).toBe('debug');
  });
});

describe('PodDisruptionBudget', () => {
  it('lets at most one node be voluntarily disrupted at a time', () => {
    const budget = objectOf(objects, 'PodDisruptionBudget');
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: SELECTOR } });
  });
});

describe('security and operations', () => {
  it('runs the pod as non-root with the RuntimeDefault seccomp profile and the data volume group-owned by postgres', () => {
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      fsGroup: 999,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it.each([
    ['app', 1001],
    ['sync', 1000],
    ['postgres', 999],
  ])('%s runs as user %d without privileges, capabilities or a writable root filesystem', (name, user) => {
    expect(containerOf(objects, name).securityContext).toEqual({
      runAsUser: user,
      runAsGroup: user,
      runAsNonRoot: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('mounts writable emptyDirs where the containers write: the Next.js cache, /tmp, the PostgreSQL socket and shared memory', () => {
    const mounts = (name: string) => containerOf(objects, name).volumeMounts.map((m: Loose) => m.mountPath);
    expect(mounts('app')).toEqual(['/app/.next/cache', '/tmp']);
    expect(mounts('sync')).toEqual(['/tmp']);
    expect(mounts('postgres')).toEqual([
      '/docker-entrypoint-initdb.d',
      '/var/run/postgresql',
      '/tmp',
      '/dev/shm',
      '/var/lib/postgresql/data',
    ]);
    const emptyDirs = pod.volumes.filter((v: Loose) => v.emptyDir).map((v: Loose) => v.name);
    expect(emptyDirs).toEqual([
      'app-next-cache',
      'app-tmp',
      'sync-tmp',
      'postgres-run',
      'postgres-tmp',
      'postgres-shm',
    ]);
    expect(pod.volumes.find((v: Loose) => v.name === 'postgres-shm').emptyDir).toEqual({
      medium: 'Memory',
      sizeLimit: '256Mi',
    });
  });

  it('can configure where the app image keeps its Next.js cache', () => {
    expect(
      containerOf(synth({ app: { cacheMountPath: '/srv/app/.next/cache' } }), 'app').volumeMounts[0].mountPath,
    ).toBe('/srv/app/.next/cache');
  });

  it('probes the app on its real endpoints: /api/health (startup, liveness) and /api/ready (readiness)', () => {
    const app = containerOf(objects, 'app');
    expect(app.startupProbe.httpGet).toEqual({ path: '/api/health', port: 8080, scheme: 'HTTP' });
    expect(app.startupProbe.failureThreshold * app.startupProbe.periodSeconds).toBe(120);
    expect(app.livenessProbe.httpGet).toEqual({ path: '/api/health', port: 8080, scheme: 'HTTP' });
    expect(app.readinessProbe.httpGet).toEqual({ path: '/api/ready', port: 8080, scheme: 'HTTP' });
  });

  it('probes the sync service over HTTPS (its port speaks TLS) on /health (startup, liveness) and /ready (readiness) on 8765', () => {
    const sync = containerOf(objects, 'sync');
    expect(sync.startupProbe.httpGet).toEqual({ path: '/health', port: 8765, scheme: 'HTTPS' });
    expect(sync.livenessProbe.httpGet).toEqual({ path: '/health', port: 8765, scheme: 'HTTPS' });
    expect(sync.readinessProbe.httpGet).toEqual({ path: '/ready', port: 8765, scheme: 'HTTPS' });
  });

  it('probes PostgreSQL with pg_isready over TCP on loopback, with 5 minutes for crash recovery at start', () => {
    const postgres = containerOf(objects, 'postgres');
    const isReady = ['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', 'msk_app', '-d', 'multi_business_db'];
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
      expect(postgres[probe].exec.command).toEqual(isReady);
    expect(postgres.startupProbe.failureThreshold * postgres.startupProbe.periodSeconds).toBe(300);
  });

  it('default: sets resource requests and limits on every container', () => {
    expect(containerOf(objects, 'app').resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1000m', memory: '512Mi' },
    });
    expect(containerOf(objects, 'sync').resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    });
    expect(containerOf(objects, 'postgres').resources).toEqual({
      requests: { cpu: '250m', memory: '512Mi' },
      limits: { cpu: '1000m', memory: '1024Mi' },
    });
  });

  it('can configure resources', () => {
    const custom = synth({
      sync: { resources: { requests: { cpuMillis: 50, memoryMiB: 64 }, limits: { cpuMillis: 200, memoryMiB: 128 } } },
    });
    expect(containerOf(custom, 'sync').resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { cpu: '200m', memory: '128Mi' },
    });
  });

  it('labels every object with the installation and part-of labels', () => {
    for (const object of objects) {
      expect(object.metadata).toMatchObject({
        labels: { ...SELECTOR, 'app.kubernetes.io/part-of': 'multi-server-kit' },
        namespace: 'multi-server-kit',
      });
    }
  });

  it('names every object after the installation, without hash suffixes', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/multi-server-kit-postgres-initdb',
      'Ingress/multi-server-kit',
      'NetworkPolicy/multi-server-kit',
      'PodDisruptionBudget/multi-server-kit',
      'Service/multi-server-kit-app',
      'Service/multi-server-kit-metrics',
      'Service/multi-server-kit-peers',
      'ServiceAccount/multi-server-kit',
      'StatefulSet/multi-server-kit',
    ]);
  });
});
