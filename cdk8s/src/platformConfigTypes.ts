/**
 * What an operator can configure about the Kubernetes deployment: the shape of `platform.config.ts` (the one file an
 * operator edits) with each field's meaning and default, and the same configuration resolved. The defaults are in
 * platformConfigDefaults.ts, the checks in platformConfigChecks.ts. Secrets are never configured here: the
 * manifests reference the shared Secret by name only.
 */

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
