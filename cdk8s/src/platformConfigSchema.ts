/**
 * What an operator can configure about the Kubernetes deployment, with the defaults and the validation.
 * The values themselves live in `platform.config.ts` (the one file an operator edits); this file says what
 * they mean. Secrets are never configured here: the manifests reference the shared Secret by name only.
 */
import {
  checkValue,
  REFERENCE_APP_REPLICATED_TABLES,
  replicatedTablesProblem,
  TABLE_NAME_PATTERN as TABLE_NAME,
  variable,
  VARIABLES,
} from '@msk/contract';

/** A container image without its tag, and its pinned tag. */
export interface ImageRef {
  /** Image name without tag, e.g. `multi-server-kit/app` or `registry.example.com:5000/team/app`. */
  readonly repository: string;
  /** A pinned tag, never `latest`: pods of one StatefulSet must all run the same build. */
  readonly tag: string;
}

/** Requests and limits of one container, in millicores and mebibytes. */
export interface ContainerResourcesConfig {
  readonly requests: { readonly cpuMillis: number; readonly memoryMiB: number };
  readonly limits: { readonly cpuMillis: number; readonly memoryMiB: number };
}

/**
 * How the kubelet checks the app container. The paths are the app's own: ours answers /api/health (the process
 * is up) and /api/ready (its database and its sync service are); an app without them names other paths, or none.
 */
export interface AppProbesConfig {
  /**
   * Path of the startup and liveness checks (HTTP GET, any 2xx/3xx passes), e.g. `/` or NextAuth's
   * `/api/auth/providers`. Empty: a TCP connect to the app's port instead.
   * @default '/api/health'
   */
  readonly livenessPath?: string;
  /**
   * Path of the readiness check. Empty: the app is ready when it passes the liveness check, and the pod's
   * readiness comes from the sync service's own /ready (its database, its peers agreeing on the shared
   * configuration), which gates every pod in any case.
   * @default '/api/ready'
   */
  readonly readinessPath?: string;
}

export interface AppContainerConfig {
  /**
   * The port the app listens on inside the pod (its image must honour PORT, or listen there by itself).
   * @default 8080
   */
  readonly port?: number;
  /**
   * The command that starts the app inside its image (the node identity entry script runs first, then `exec`s it).
   * @default ['node', 'server.js'] (Next.js standalone output)
   */
  readonly command?: readonly string[];
  /** Arguments after the command (the container's `args`). @default [] */
  readonly args?: readonly string[];
  /**
   * Extra plain environment variables of the app container only (the app's own settings, not the kit's: a contract
   * variable goes in `settings`, a secret in the shared Secret). @default {}
   */
  readonly env?: Readonly<Record<string, string>>;
  readonly probes?: AppProbesConfig;
  /**
   * Where Next.js writes its cache in the image (the standalone folder's `.next/cache`); an emptyDir is mounted
   * there because the root filesystem is read-only.
   * @default '/app/.next/cache'
   */
  readonly cacheMountPath?: string;
  /** @default 1001 (the `nextjs` user of the Next.js Docker example) */
  readonly runAsUser?: number;
  /** @default requests 250m / 256Mi, limits 1000m / 512Mi */
  readonly resources?: ContainerResourcesConfig;
}

export interface SyncContainerConfig {
  /** @default ['node', 'sync/dist/cli/main.js', 'run'] */
  readonly command?: readonly string[];
  /** @default 1000 (the `node` user of the official Node.js images) */
  readonly runAsUser?: number;
  /** @default requests 100m / 128Mi, limits 500m / 256Mi */
  readonly resources?: ContainerResourcesConfig;
}

export interface PostgresContainerConfig {
  /** @default 999 (the `postgres` user of the official postgres images) */
  readonly runAsUser?: number;
  /** @default requests 250m / 512Mi, limits 1000m / 1024Mi */
  readonly resources?: ContainerResourcesConfig;
  /** Size of each node's data volume (claim template), `<n>Mi`, `<n>Gi` or `<n>Ti`. @default '10Gi' */
  readonly storageSize?: string;
  /** StorageClass of the data volumes. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** Who may open the app's port (app.port) directly (the Ingress controller always has to). */
export type AppReachableFrom = { readonly namespace: string } | 'anywhere';

export interface NetworkPolicyConfig {
  /**
   * Where connections to the app's port may come from: the Ingress controller's namespace, or anywhere.
   * @default { namespace: 'ingress-nginx' }
   */
  readonly appReachableFrom?: AppReachableFrom;
  /**
   * Where scrapes of the metrics ports (app 9464, sync 9465) may come from: Prometheus's namespace, or anywhere.
   * @default { namespace: 'monitoring' }
   */
  readonly metricsReachableFrom?: AppReachableFrom;
  /**
   * `restricted`: pods may only resolve DNS, reach their peers' sync port and (kubernetes discovery) the API server.
   * `unrestricted`: any egress (e.g. the app sends mail).
   * @default 'restricted'
   */
  readonly egress?: 'restricted' | 'unrestricted';
}

export type KubernetesDiscoveryMode = 'dns' | 'kubernetes';

export const EXTERNAL_DATABASE_SSL_MODES = ['', 'disable', 'require', 'verify-ca', 'verify-full'] as const;
export type ExternalDatabaseSslMode = (typeof EXTERNAL_DATABASE_SSL_MODES)[number];

/**
 * One PostgreSQL every pod uses (a managed one, or an HA cluster's read-write service), in the shape of Bitnami's
 * `externalDatabase.*`: the pods then run the app and sync containers only (no PostgreSQL container, no claim
 * template) and DATABASE_TOPOLOGY=shared. The database needs the kit's roles (compose/postgres-initdb/10-msk-roles.sh).
 */
export interface ExternalDatabaseConfig {
  /** Host name (or IPv4 address) of the database: the HA system's read-write service name, not a member's. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default 'multi_business_db' */
  readonly database?: string;
  /** The app's role. @default 'msk_app' */
  readonly user?: string;
  /** The sync service's role (owns schema msk_sync). @default 'msk_sync' */
  readonly syncUser?: string;
  /** The Secret holding both roles' passwords. @default - the shared Secret (sharedSecretName) */
  readonly existingSecret?: string;
  /** Key of the app role's password in existingSecret. @default 'DATABASE_PASSWORD' */
  readonly passwordKey?: string;
  /** Key of the sync role's password in existingSecret. @default 'SYNC_DATABASE_PASSWORD' */
  readonly syncPasswordKey?: string;
  /** `sslmode` of both connections (disable, require, verify-ca, verify-full). @default '' - none in the URL: no TLS */
  readonly sslMode?: ExternalDatabaseSslMode;
}

/** Everything an operator may set. Only `host` is required. */
export interface PlatformConfig {
  /** Name of this installation: the StatefulSet and every other object are named after it; part of the node-ID seed. @default 'multi-server-kit' */
  readonly name?: string;
  /** Namespace of every object (the Secret must live there too). @default 'multi-server-kit' */
  readonly namespace?: string;
  /** Number of nodes (pods), 1 to 64. @default 2 */
  readonly replicas?: number;
  /** The one host name users open; the Ingress rule and NEXTAUTH_URL use it. */
  readonly host: string;
  /** TLS for the Ingress from an existing `kubernetes.io/tls` Secret; NEXTAUTH_URL becomes `https://host`. @default - no TLS, `http://host` */
  readonly tls?: { readonly secretName: string };
  /** @default - the cluster's default IngressClass */
  readonly ingressClassName?: string;
  /** Extra annotations of the Ingress (e.g. for cert-manager or the controller). @default {} */
  readonly ingressAnnotations?: Readonly<Record<string, string>>;
  /** Name of the ONE Secret holding the shared secrets (written by `npm run init`, or one you already have). @default 'multi-server-kit-shared' */
  readonly sharedSecretName?: string;
  /** @default app/sync `multi-server-kit/app|sync:0.1.0`, postgres `postgres:17.6-bookworm` */
  readonly images?: { readonly app?: ImageRef; readonly sync?: ImageRef; readonly postgres?: ImageRef };
  readonly app?: AppContainerConfig;
  readonly sync?: SyncContainerConfig;
  readonly postgres?: PostgresContainerConfig;
  /** How sync services find each other: `dns` (headless Service) or `kubernetes` (EndpointSlice API, adds a Role). @default 'dns' */
  readonly discovery?: KubernetesDiscoveryMode;
  readonly networkPolicy?: NetworkPolicyConfig;
  /** DNS suffix of the cluster, used in SYNC_DNS_NAME. @default 'cluster.local' */
  readonly clusterDomain?: string;
  /** Time the containers get between SIGTERM and SIGKILL. @default 60 */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * The app's tables the sync services replicate (REPLICATED_TABLES, the same on every node): plain PostgreSQL
   * table names of the app's schema. @default ['users', 'businesses', 'employees'] (the reference app's)
   */
  readonly replicatedTables?: readonly string[];
  /** Plain settings of the env contract for every node (APP_NAME, SYNC_LOG_LEVEL, ADMIN_EMAIL, ...). @default {} */
  readonly settings?: Readonly<Record<string, string>>;
  /** One PostgreSQL shared by every pod instead of one per pod. @default - a PostgreSQL container and volume in every pod */
  readonly externalDatabase?: ExternalDatabaseConfig;
}

/** The same configuration with every default applied and every value checked. */
export interface ResolvedPlatformConfig {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly host: string;
  readonly tls: { readonly secretName: string } | undefined;
  readonly ingressClassName: string | undefined;
  readonly ingressAnnotations: Readonly<Record<string, string>>;
  readonly sharedSecretName: string;
  readonly images: { readonly app: ImageRef; readonly sync: ImageRef; readonly postgres: ImageRef };
  readonly app: Required<Omit<AppContainerConfig, 'probes'>> & { readonly probes: Required<AppProbesConfig> };
  readonly sync: Required<SyncContainerConfig>;
  readonly postgres: Required<Omit<PostgresContainerConfig, 'storageClassName'>> & {
    readonly storageClassName: string | undefined;
  };
  readonly discovery: KubernetesDiscoveryMode;
  readonly networkPolicy: Required<NetworkPolicyConfig>;
  readonly clusterDomain: string;
  readonly terminationGracePeriodSeconds: number;
  readonly replicatedTables: readonly string[];
  readonly settings: Readonly<Record<string, string>>;
  readonly externalDatabase: Required<ExternalDatabaseConfig> | undefined;
}

export const MAX_REPLICAS = 64;
/** Leaves room for `-peers` and the pod's `controller-revision-hash` label (`<name>-<10 chars>` <= 63). */
export const MAX_NAME_LENGTH = 40;

export const DEFAULTS = {
  name: 'multi-server-kit',
  namespace: 'multi-server-kit',
  replicas: 2,
  sharedSecretName: 'multi-server-kit-shared',
  images: {
    app: { repository: 'multi-server-kit/app', tag: '0.1.0' },
    sync: { repository: 'multi-server-kit/sync', tag: '0.1.0' },
    postgres: { repository: 'postgres', tag: '17.6-bookworm' },
  },
  app: {
    port: 8080,
    command: ['node', 'server.js'],
    args: [],
    env: {},
    probes: { livenessPath: '/api/health', readinessPath: '/api/ready' },
    cacheMountPath: '/app/.next/cache',
    runAsUser: 1001,
    resources: { requests: { cpuMillis: 250, memoryMiB: 256 }, limits: { cpuMillis: 1000, memoryMiB: 512 } },
  },
  sync: {
    command: ['node', 'sync/dist/cli/main.js', 'run'],
    runAsUser: 1000,
    resources: { requests: { cpuMillis: 100, memoryMiB: 128 }, limits: { cpuMillis: 500, memoryMiB: 256 } },
  },
  postgres: {
    runAsUser: 999,
    resources: { requests: { cpuMillis: 250, memoryMiB: 512 }, limits: { cpuMillis: 1000, memoryMiB: 1024 } },
    storageSize: '10Gi',
  },
  discovery: 'dns',
  networkPolicy: {
    appReachableFrom: { namespace: 'ingress-nginx' },
    metricsReachableFrom: { namespace: 'monitoring' },
    egress: 'restricted',
  },
  clusterDomain: 'cluster.local',
  terminationGracePeriodSeconds: 60,
  replicatedTables: REFERENCE_APP_REPLICATED_TABLES,
  externalDatabase: {
    port: 5432,
    database: 'multi_business_db',
    user: 'msk_app',
    syncUser: 'msk_sync',
    passwordKey: 'DATABASE_PASSWORD',
    syncPasswordKey: 'SYNC_DATABASE_PASSWORD',
    sslMode: '',
  },
} as const satisfies Omit<
  ResolvedPlatformConfig,
  'host' | 'tls' | 'ingressClassName' | 'ingressAnnotations' | 'postgres' | 'settings' | 'externalDatabase'
> & {
  externalDatabase: Omit<Required<ExternalDatabaseConfig>, 'host' | 'existingSecret'>;

  postgres: Omit<ResolvedPlatformConfig['postgres'], 'storageClassName'>;
};

/**
 * Settings the synth derives itself (from the ports, the discovery mode and the host), so an operator's value for
 * them would contradict the manifests.
 */
export const DERIVED_SETTINGS: ReadonlySet<string> = new Set([
  'PORT',
  'SYNC_HTTP_PORT',
  'SYNC_DISCOVERY',
  'SYNC_DNS_NAME',
  'SYNC_KUBERNETES_SERVICE',
  // the metrics ports are fixed (container ports app-metrics/sync-metrics, the metrics Service, the ServiceMonitor)
  'APP_METRICS_PORT',
  'SYNC_METRICS_PORT',
]);

export interface ConfigProblem {
  /** Path of the field in PlatformConfig, e.g. `images.app.tag`. */
  readonly field: string;
  readonly message: string;
}

export class PlatformConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `The Kubernetes configuration (cdk8s/src/platform.config.ts) has ${problems.length} problem(s):\n` +
        problems.map((p) => `  ${p.field}: ${p.message}`).join('\n'),
    );
    this.name = 'PlatformConfigError';
  }
}

// Patterns as strings too: the Helm chart's values.schema.json uses them (Go RE2 syntax: no lookarounds here).
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const IMAGE_REPOSITORY_PATTERN =
  '^(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$';
export const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
export const STORAGE_SIZE_PATTERN = '^[1-9][0-9]*(Mi|Gi|Ti)$';
/** A PostgreSQL role or database name the URLs can carry without escaping. */
export const DATABASE_NAME_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';
export const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);
const DNS_SUBDOMAIN = new RegExp(DNS_SUBDOMAIN_PATTERN);
const IMAGE_REPOSITORY = new RegExp(IMAGE_REPOSITORY_PATTERN);
const IMAGE_TAG = new RegExp(IMAGE_TAG_PATTERN);
const STORAGE_SIZE = new RegExp(STORAGE_SIZE_PATTERN);
const DATABASE_NAME = new RegExp(DATABASE_NAME_PATTERN);
const SECRET_KEY = new RegExp(SECRET_KEY_PATTERN);
/** An HTTP path the kubelet can GET: empty (no HTTP check) or `/` and URL path characters, no query. */
export const PROBE_PATH_PATTERN = "^(/[-A-Za-z0-9._~%!$&'()*+,;=:@/]*)?$";
/** A table the sync services replicate (the contract's rule): a plain (unquoted, lowercase) PostgreSQL name. */
export const TABLE_NAME_PATTERN = TABLE_NAME.source;
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** Ports of the other containers of a pod (one network namespace): the app cannot listen on them. */
export const RESERVED_POD_PORTS: readonly number[] = [5432, 8765, 9464, 9465];
const PROBE_PATH = new RegExp(PROBE_PATH_PATTERN);
const ENV_NAME = new RegExp(ENV_NAME_PATTERN);
const ANNOTATION_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Collects problems instead of stopping at the first one. */
class Checker {
  readonly problems: ConfigProblem[] = [];

  fail(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  dnsLabel(field: string, value: string, maxLength = 63): void {
    if (value.length > maxLength || !DNS_LABEL.test(value)) {
      this.fail(
        field,
        `must be a DNS label (lowercase letters, digits and '-', at most ${maxLength} characters), got '${value}'`,
      );
    }
  }

  dnsSubdomain(field: string, value: string): void {
    if (value.length > 253 || !DNS_SUBDOMAIN.test(value) || value.split('.').some((label) => label.length > 63)) {
      this.fail(field, `must be a DNS name (lowercase letters, digits, '-' and '.'), got '${value}'`);
    }
  }

  wholeNumber(field: string, value: number, min: number, max: number, unit = ''): void {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(field, `must be a whole number from ${min} to ${max}${unit}, got ${String(value)}`);
    }
  }

  image(field: string, image: ImageRef): void {
    if (!IMAGE_REPOSITORY.test(image.repository)) {
      this.fail(
        `${field}.repository`,
        `must be an image name without tag or digest, e.g. registry.example.com/team/app, got '${image.repository}'`,
      );
    }
    if (image.tag.toLowerCase() === 'latest') {
      this.fail(`${field}.tag`, 'is latest: pin a version tag (e.g. 0.1.0) so every pod runs the same build');
    } else if (!IMAGE_TAG.test(image.tag)) {
      this.fail(`${field}.tag`, `must be an image tag (letters, digits, '_', '.', '-'), got '${image.tag}'`);
    }
  }

  command(field: string, command: readonly string[]): void {
    if (command.length === 0 || command.some((part) => part === '')) {
      this.fail(field, 'must be a non-empty list of non-empty strings, e.g. ["node", "server.js"]');
    }
  }

  resources(field: string, resources: ContainerResourcesConfig): void {
    const { requests, limits } = resources;
    this.wholeNumber(`${field}.requests.cpuMillis`, requests.cpuMillis, 1, 64_000, ' millicores');
    this.wholeNumber(`${field}.requests.memoryMiB`, requests.memoryMiB, 16, 1_048_576, ' MiB');
    this.wholeNumber(`${field}.limits.cpuMillis`, limits.cpuMillis, 1, 64_000, ' millicores');
    this.wholeNumber(`${field}.limits.memoryMiB`, limits.memoryMiB, 16, 1_048_576, ' MiB');
    if (requests.cpuMillis > limits.cpuMillis) {
      this.fail(
        `${field}.requests.cpuMillis`,
        `is above limits.cpuMillis (${requests.cpuMillis} > ${limits.cpuMillis})`,
      );
    }
    if (requests.memoryMiB > limits.memoryMiB) {
      this.fail(
        `${field}.requests.memoryMiB`,
        `is above limits.memoryMiB (${requests.memoryMiB} > ${limits.memoryMiB})`,
      );
    }
  }

  user(field: string, value: number): void {
    this.wholeNumber(field, value, 1, 2_147_483_647);
  }
}

function checkHost(checker: Checker, host: string): void {
  if (/^[a-z]+:\/\//i.test(host)) {
    checker.fail(
      'host',
      `must be the host name only, without a scheme: '${host.replace(/^[a-z]+:\/\//i, '')}' instead of '${host}'`,
    );
  } else if (host.includes(':') || host.includes('/')) {
    checker.fail('host', `must be a host name without port or path, got '${host}'`);
  } else {
    checker.dnsSubdomain('host', host);
  }
}

function resolveExternalDatabase(
  config: PlatformConfig,
  sharedSecretName: string,
): Required<ExternalDatabaseConfig> | undefined {
  const external = config.externalDatabase;
  if (external === undefined) return undefined;
  const d = DEFAULTS.externalDatabase;
  return {
    host: external.host,
    port: external.port ?? d.port,
    database: external.database ?? d.database,
    user: external.user ?? d.user,
    syncUser: external.syncUser ?? d.syncUser,
    existingSecret: external.existingSecret ?? sharedSecretName,
    passwordKey: external.passwordKey ?? d.passwordKey,
    syncPasswordKey: external.syncPasswordKey ?? d.syncPasswordKey,
    sslMode: external.sslMode ?? d.sslMode,
  };
}

function checkExternalDatabase(checker: Checker, external: Required<ExternalDatabaseConfig>): void {
  if (typeof external.host !== 'string' || external.host === '') {
    checker.fail(
      'externalDatabase.host',
      "is required: the database's host name, e.g. the HA cluster's read-write service",
    );
  } else {
    checker.dnsSubdomain('externalDatabase.host', external.host);
  }
  checker.wholeNumber('externalDatabase.port', external.port, 1, 65_535);
  for (const field of ['database', 'user', 'syncUser'] as const) {
    if (!DATABASE_NAME.test(external[field])) {
      checker.fail(
        `externalDatabase.${field}`,
        `must be a PostgreSQL name (lowercase letters, digits, '_'; at most 63), got '${external[field]}'`,
      );
    }
  }
  checker.dnsSubdomain('externalDatabase.existingSecret', external.existingSecret);
  for (const field of ['passwordKey', 'syncPasswordKey'] as const) {
    if (!SECRET_KEY.test(external[field]))
      checker.fail(
        `externalDatabase.${field}`,
        `must be a Secret key (letters, digits, '-', '_', '.'), got '${external[field]}'`,
      );
  }
  if (!(EXTERNAL_DATABASE_SSL_MODES as readonly string[]).includes(external.sslMode)) {
    checker.fail(
      'externalDatabase.sslMode',
      `must be one of disable, require, verify-ca, verify-full (or '' for none), got '${String(external.sslMode)}'`,
    );
  }
}

/** The connection URL of one role to the external database, without password (it comes from the Secret). */
export function externalDatabaseUrl(external: Required<ExternalDatabaseConfig>, role: string): string {
  const ssl = external.sslMode === '' ? '' : `?sslmode=${external.sslMode}`;
  return `postgresql://${role}@${external.host}:${external.port}/${external.database}${ssl}`;
}

function checkApp(checker: Checker, app: ResolvedPlatformConfig['app']): void {
  checker.wholeNumber('app.port', app.port, 1, 65_535);
  if (RESERVED_POD_PORTS.includes(app.port)) {
    checker.fail(
      'app.port',
      `is ${app.port}, which another container of the pod uses (PostgreSQL 5432, sync 8765, metrics 9464/9465): choose another port`,
    );
  }
  if (!Array.isArray(app.args) || app.args.some((arg) => typeof arg !== 'string'))
    checker.fail('app.args', 'must be a list of strings');
  for (const [name, value] of Object.entries(app.env)) {
    const field = `app.env.${name}`;
    if (!ENV_NAME.test(name))
      checker.fail(field, 'is not an environment variable name (letters, digits, _; not starting with a digit)');
    else if (VARIABLES.some((v) => v.name === name)) {
      checker.fail(
        field,
        'is a variable of the env contract: the synth sets it (a plain setting goes in `settings`, a secret in the shared Secret)',
      );
    } else if (name.startsWith('MSK_'))
      checker.fail(field, 'starts with MSK_, which the kit keeps for its own variables');
    if (typeof value !== 'string') checker.fail(field, `must be a string, got ${typeof value}`);
  }
  for (const which of ['livenessPath', 'readinessPath'] as const) {
    const path = app.probes[which];
    if (typeof path !== 'string' || !PROBE_PATH.test(path)) {
      checker.fail(
        `app.probes.${which}`,
        `must be empty or an HTTP path starting with '/' (no query, no spaces), e.g. /api/auth/providers, got '${String(path)}'`,
      );
    }
  }
}

function checkReplicatedTables(checker: Checker, tables: readonly string[]): void {
  if (!Array.isArray(tables) || tables.length === 0) {
    checker.fail('replicatedTables', "must list at least one table of the app's schema, e.g. ['users', 'orders']");
    return;
  }
  const problem = replicatedTablesProblem(tables.join(','));
  if (problem) checker.fail('replicatedTables', problem);
}

function checkSettings(checker: Checker, settings: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(settings)) {
    const field = `settings.${name}`;
    const spec = VARIABLES.find((v) => v.name === name);
    if (!spec) {
      checker.fail(field, 'is not a variable of the env contract (contract/src/variables.ts)');
    } else if (spec.scope !== 'setting') {
      checker.fail(
        field,
        `has scope '${spec.scope}': only 'setting' variables are configured here; the synth derives the rest`,
      );
    } else if (spec.secret) {
      checker.fail(field, `is a secret: put it in the shared Secret (key ${name}) instead of the manifests`);
    } else if (DERIVED_SETTINGS.has(name)) {
      checker.fail(field, 'is derived by the synth (ports, discovery); change `discovery` or the ports instead');
    } else {
      for (const problem of checkValue(variable(name), value)) {
        if (problem.severity === 'error') checker.fail(field, `${problem.message}; ${problem.fix}`);
      }
    }
  }
}

/** Applies the defaults and checks every field; throws PlatformConfigError naming every bad field. */
export function resolvePlatformConfig(config: PlatformConfig): ResolvedPlatformConfig {
  const checker = new Checker();
  const sharedSecretName = config.sharedSecretName ?? DEFAULTS.sharedSecretName;
  const resolved: ResolvedPlatformConfig = {
    name: config.name ?? DEFAULTS.name,
    namespace: config.namespace ?? DEFAULTS.namespace,
    replicas: config.replicas ?? DEFAULTS.replicas,
    host: config.host,
    tls: config.tls,
    ingressClassName: config.ingressClassName,
    ingressAnnotations: config.ingressAnnotations ?? {},
    sharedSecretName,
    images: {
      app: config.images?.app ?? DEFAULTS.images.app,
      sync: config.images?.sync ?? DEFAULTS.images.sync,
      postgres: config.images?.postgres ?? DEFAULTS.images.postgres,
    },
    app: {
      port: config.app?.port ?? DEFAULTS.app.port,
      command: config.app?.command ?? DEFAULTS.app.command,
      args: config.app?.args ?? DEFAULTS.app.args,
      env: config.app?.env ?? DEFAULTS.app.env,
      probes: {
        livenessPath: config.app?.probes?.livenessPath ?? DEFAULTS.app.probes.livenessPath,
        readinessPath: config.app?.probes?.readinessPath ?? DEFAULTS.app.probes.readinessPath,
      },
      cacheMountPath: config.app?.cacheMountPath ?? DEFAULTS.app.cacheMountPath,
      runAsUser: config.app?.runAsUser ?? DEFAULTS.app.runAsUser,
      resources: config.app?.resources ?? DEFAULTS.app.resources,
    },
    sync: {
      command: config.sync?.command ?? DEFAULTS.sync.command,
      runAsUser: config.sync?.runAsUser ?? DEFAULTS.sync.runAsUser,
      resources: config.sync?.resources ?? DEFAULTS.sync.resources,
    },
    postgres: {
      runAsUser: config.postgres?.runAsUser ?? DEFAULTS.postgres.runAsUser,
      resources: config.postgres?.resources ?? DEFAULTS.postgres.resources,
      storageSize: config.postgres?.storageSize ?? DEFAULTS.postgres.storageSize,
      storageClassName: config.postgres?.storageClassName,
    },
    discovery: config.discovery ?? DEFAULTS.discovery,
    networkPolicy: {
      appReachableFrom: config.networkPolicy?.appReachableFrom ?? DEFAULTS.networkPolicy.appReachableFrom,
      metricsReachableFrom: config.networkPolicy?.metricsReachableFrom ?? DEFAULTS.networkPolicy.metricsReachableFrom,
      egress: config.networkPolicy?.egress ?? DEFAULTS.networkPolicy.egress,
    },
    clusterDomain: config.clusterDomain ?? DEFAULTS.clusterDomain,
    terminationGracePeriodSeconds: config.terminationGracePeriodSeconds ?? DEFAULTS.terminationGracePeriodSeconds,
    replicatedTables: config.replicatedTables ?? DEFAULTS.replicatedTables,
    settings: config.settings ?? {},
    externalDatabase: resolveExternalDatabase(config, sharedSecretName),
  };

  checker.dnsLabel('name', resolved.name, MAX_NAME_LENGTH);
  checker.dnsLabel('namespace', resolved.namespace);
  checker.wholeNumber('replicas', resolved.replicas, 1, MAX_REPLICAS);
  checkHost(checker, resolved.host);
  if (resolved.tls) checker.dnsSubdomain('tls.secretName', resolved.tls.secretName);
  if (resolved.ingressClassName !== undefined) checker.dnsSubdomain('ingressClassName', resolved.ingressClassName);
  for (const key of Object.keys(resolved.ingressAnnotations)) {
    if (!ANNOTATION_KEY.test(key))
      checker.fail(`ingressAnnotations.${key}`, 'is not a valid annotation key ([prefix/]name)');
  }
  checker.dnsSubdomain('sharedSecretName', resolved.sharedSecretName);
  for (const which of ['app', 'sync', 'postgres'] as const) checker.image(`images.${which}`, resolved.images[which]);
  checker.command('app.command', resolved.app.command);
  checkApp(checker, resolved.app);
  if (!resolved.app.cacheMountPath.startsWith('/')) {
    checker.fail(
      'app.cacheMountPath',
      `must be an absolute path inside the app image, got '${resolved.app.cacheMountPath}'`,
    );
  }
  checker.user('app.runAsUser', resolved.app.runAsUser);
  checker.resources('app.resources', resolved.app.resources);
  checker.command('sync.command', resolved.sync.command);
  checker.user('sync.runAsUser', resolved.sync.runAsUser);
  checker.resources('sync.resources', resolved.sync.resources);
  checker.user('postgres.runAsUser', resolved.postgres.runAsUser);
  checker.resources('postgres.resources', resolved.postgres.resources);
  if (!STORAGE_SIZE.test(resolved.postgres.storageSize)) {
    checker.fail(
      'postgres.storageSize',
      `must be a size such as 10Gi (a whole number with Mi, Gi or Ti), got '${resolved.postgres.storageSize}'`,
    );
  }
  if (resolved.postgres.storageClassName !== undefined) {
    checker.dnsSubdomain('postgres.storageClassName', resolved.postgres.storageClassName);
  }
  if (resolved.discovery !== 'dns' && resolved.discovery !== 'kubernetes') {
    checker.fail('discovery', `must be 'dns' or 'kubernetes', got '${String(resolved.discovery)}'`);
  }
  for (const [field, what] of [
    ['appReachableFrom', 'ingress controller'],
    ['metricsReachableFrom', 'Prometheus'],
  ] as const) {
    const from = resolved.networkPolicy[field];
    if (from === 'anywhere') continue;
    if (typeof from !== 'object' || from === null) {
      checker.fail(`networkPolicy.${field}`, `must be { namespace: '<${what} namespace>' } or 'anywhere'`);
    } else {
      checker.dnsLabel(`networkPolicy.${field}.namespace`, from.namespace);
    }
  }
  if (resolved.networkPolicy.egress !== 'restricted' && resolved.networkPolicy.egress !== 'unrestricted') {
    checker.fail(
      'networkPolicy.egress',
      `must be 'restricted' or 'unrestricted', got '${String(resolved.networkPolicy.egress)}'`,
    );
  }
  checker.dnsSubdomain('clusterDomain', resolved.clusterDomain);
  checker.wholeNumber('terminationGracePeriodSeconds', resolved.terminationGracePeriodSeconds, 1, 3600, ' seconds');
  checkReplicatedTables(checker, resolved.replicatedTables);
  checkSettings(checker, resolved.settings);
  if (resolved.externalDatabase) checkExternalDatabase(checker, resolved.externalDatabase);

  if (checker.problems.length > 0) throw new PlatformConfigError(checker.problems);
  return resolved;
}
