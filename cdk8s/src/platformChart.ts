/**
 * The whole Kubernetes deployment of one installation as a cdk8s Chart: the node StatefulSet, its Services and
 * Ingress, NetworkPolicy, PodDisruptionBudget, ServiceAccount (and, for kubernetes discovery, a Role to read
 * EndpointSlices). The shared Secret is referenced by name and never created here.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { DEFAULT_SYNC_SERVICE_PORT } from '@msk/contract';
import { externalDatabaseUrl, type ResolvedPlatformConfig } from './platformConfigSchema';
import { type EnvironmentContext, planContainerEnvironment } from './environment';
import { type LabelScheme, manifestLabels } from './labels';
import {
  addAppService,
  addIngress,
  addMetricsService,
  addNetworkPolicy,
  addPeersService,
  peersDnsName,
  peersServiceName,
  publicUrl,
  removeKplusSelector,
} from './networking';
import { nodeIdSeed } from './nodeIdentityScript';
import { addNodeStatefulSet, POSTGRES_DB, POSTGRES_PORT } from './nodeStatefulSet';
import { APP_ROLE, SYNC_ROLE } from '@msk/kit/postgres';

export const ENDPOINT_SLICE_VERBS = ['get', 'list', 'watch'];

/** DATABASE_URL of every pod: its own PostgreSQL container over loopback as role msk_app, password from the Secret. */
export const DATABASE_URL = `postgresql://${APP_ROLE}@127.0.0.1:${POSTGRES_PORT}/${POSTGRES_DB}`;
/** SYNC_DATABASE_URL of every pod: the same database as role msk_sync, password from the Secret. */
export const SYNC_DATABASE_URL = `postgresql://${SYNC_ROLE}@127.0.0.1:${POSTGRES_PORT}/${POSTGRES_DB}`;

export function environmentContext(config: ResolvedPlatformConfig): EnvironmentContext {
  const external = config.externalDatabase;
  const database = external
    ? {
        databaseUrl: externalDatabaseUrl(external, external.user),
        syncDatabaseUrl: externalDatabaseUrl(external, external.syncUser),
        databaseTopology: 'shared' as const,
        databasePasswords: {
          secretName: external.existingSecret,
          passwordKey: external.passwordKey,
          syncPasswordKey: external.syncPasswordKey,
        },
      }
    : { databaseUrl: DATABASE_URL, syncDatabaseUrl: SYNC_DATABASE_URL, databaseTopology: 'per-node' as const };
  return {
    publicUrl: publicUrl(config),
    ...database,
    appPort: config.app.port,
    syncPort: DEFAULT_SYNC_SERVICE_PORT,
    discovery:
      config.discovery === 'dns'
        ? { mode: 'dns', dnsName: peersDnsName(config) }
        : { mode: 'kubernetes', serviceName: peersServiceName(config) },
    replicatedTables: config.replicatedTables,
    settings: config.settings,
  };
}

export class MultiServerKitChart extends Chart {
  readonly statefulSet: kplus.StatefulSet;

  /** `labelScheme`: the plain manifests' labels unless the Helm chart asks for its stand-ins. */
  constructor(
    scope: Construct,
    id: string,
    config: ResolvedPlatformConfig,
    labelScheme: LabelScheme = manifestLabels(config),
  ) {
    super(scope, id, {
      namespace: config.namespace,
      labels: { ...labelScheme.common },
      disableResourceNameHashes: true,
    });
    const labels = labelScheme.selector;
    const context = environmentContext(config);
    const ports = { appPort: context.appPort, syncPort: context.syncPort };

    const serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name: config.name },
      automountToken: config.discovery === 'kubernetes',
    });
    if (config.discovery === 'kubernetes') {
      const role = new kplus.Role(this, 'discovery-role', { metadata: { name: `${config.name}-discovery` } });
      role.allow(
        ENDPOINT_SLICE_VERBS,
        kplus.ApiResource.custom({ apiGroup: 'discovery.k8s.io', resourceType: 'endpointslices' }),
      );
      const binding = new kplus.RoleBinding(this, 'discovery-role-binding', {
        metadata: { name: `${config.name}-discovery` },
        role,
      });
      binding.addSubjects(serviceAccount);
    }

    const peers = addPeersService(this, config, labels, ports.syncPort);
    const appService = addAppService(this, config, labels, ports.appPort);
    addMetricsService(this, config, labels);
    addIngress(this, config, appService);

    this.statefulSet = addNodeStatefulSet(this, {
      config,
      peers,
      serviceAccount,
      selectorLabels: labels,
      sharedSecret: kplus.Secret.fromSecretName(this, 'shared-secret', config.sharedSecretName),
      appEnvironment: planContainerEnvironment('app', context),
      syncEnvironment: planContainerEnvironment('sync', context),
      nodeIdSeed: nodeIdSeed(config.namespace, config.name),
      ...ports,
    });
    removeKplusSelector(peers);

    addNetworkPolicy(this, config, labels, ports);
    new kplus.k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
      metadata: { name: config.name },
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...labels } } },
    });
  }
}
