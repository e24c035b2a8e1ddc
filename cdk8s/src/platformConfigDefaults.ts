/** The defaults of the Kubernetes configuration and its fixed limits (platformConfigTypes.ts says what each means). */
import { REFERENCE_APP_REPLICATED_TABLES } from '@msk/contract';
import type { ExternalDatabaseConfig, ResolvedPlatformConfig } from './platformConfigTypes';

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

/** Ports of the other containers of a pod (one network namespace): the app cannot listen on them. */
export const RESERVED_POD_PORTS: readonly number[] = [5432, 8765, 9464, 9465];
