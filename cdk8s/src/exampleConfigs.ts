/** Configurations that together take every branch of the synth; tests synthesize and check each of them. */
import type { PlatformConfig } from './platformConfigTypes';
import { platformConfig } from './platform.config';

export const CONFIG_VARIATIONS: Record<string, PlatformConfig> = {
  'the committed platform.config.ts': platformConfig,
  'kubernetes discovery with TLS, custom names and storage class': {
    host: 'shop.example.org',
    name: 'shop',
    namespace: 'retail',
    replicas: 5,
    discovery: 'kubernetes',
    tls: { secretName: 'shop-tls' },
    ingressClassName: 'nginx',
    sharedSecretName: 'shop-shared',
    postgres: { storageSize: '100Gi', storageClassName: 'fast' },
  },
  'open app port, unrestricted egress and operator settings': {
    host: 'platform.internal',
    networkPolicy: { appReachableFrom: 'anywhere', egress: 'unrestricted' },
    settings: { APP_NAME: 'Acme', SYNC_LOG_LEVEL: 'debug', ADMIN_EMAIL: 'admin@example.com' },
  },
  "another team's app: its image, port, command, args, env, probe paths and tables": {
    host: 'crm.example.com',
    images: { app: { repository: 'registry.example.com/acme/crm', tag: '3.2.1' } },
    app: {
      port: 3000,
      command: ['node', 'apps/web/server.js'],
      args: ['--max-old-space-size=384'],
      env: { FEATURE_FLAGS: 'a,b', LOG_FORMAT: 'json' },
      probes: { livenessPath: '/api/auth/providers', readinessPath: '' },
      cacheMountPath: '/srv/app/.next/cache',
      runAsUser: 1500,
    },
    replicatedTables: ['accounts', 'contacts', 'deals'],
  },
  'an app with no HTTP endpoint to probe (TCP checks, readiness from the sync service)': {
    host: 'crm.example.com',
    app: { port: 3000, probes: { livenessPath: '', readinessPath: '' } },
  },
  'one external database shared by every pod': {
    host: 'platform.example.com',
    replicas: 3,
    externalDatabase: {
      host: 'db-rw.databases.svc.cluster.local',
      port: 6432,
      existingSecret: 'db-credentials',
      passwordKey: 'app-password',
      sslMode: 'require',
    },
  },
};
