/**
 * Each local node's full environment: the cluster's shared.env + node-N.env (written by init, secrets kept across
 * restarts), plus what this machine's layout decides (addresses, ports, database), plus test overrides.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '@msk/contract/envFile';
import { APP_ROLE, SYNC_ROLE } from '../postgres/databaseRoles';
import { type ClusterLayout, type NodeLayout, syncAddress } from './clusterLayout';

export type EnvironmentOverrides = Readonly<Record<string, string | undefined>>;

export function readEnvFile(path: string): Record<string, string> {
  const parsed = parseEnvFile(readFileSync(path, 'utf8'));
  if (parsed.errors.length > 0) {
    throw new Error(`${path}:${parsed.errors[0]?.line} ${parsed.errors[0]?.message}`);
  }
  return Object.fromEntries(parsed.entries.map((e) => [e.key, e.value]));
}

export const LOCAL_DATABASE = 'multi_business_db';
/** The superuser of each node's embedded PostgreSQL: used by the cluster to set up the roles, never by a node. */
export const LOCAL_DATABASE_SUPERUSER = 'postgres';
/** Where the cluster keeps that superuser's password (POSTGRES_PASSWORD), beside shared.env, mode 0600. */
export const LOCAL_SUPERUSER_FILE = 'postgres-superuser.env';

/**
 * `databaseNode`: whose PostgreSQL the node uses; itself (per-node), or the first node's for every node with
 * DATABASE_TOPOLOGY=shared (`npm start -- --database shared`). `replicatedTables`: the app's tables
 * (REPLICATED_TABLES), which the cluster's app decides, not shared.env.
 */
export function nodeEnvironment(
  layout: ClusterLayout,
  node: NodeLayout,
  overrides: EnvironmentOverrides,
  databaseNode: NodeLayout,
  replicatedTables: readonly string[],
): Record<string, string> {
  const shared = readEnvFile(join(layout.configDir, 'shared.env'));
  const own = readEnvFile(join(layout.configDir, `node-${node.index}.env`));
  const env: Record<string, string | undefined> = {
    ...shared,
    ...own,
    NEXTAUTH_URL: `http://${layout.entryHost}:${layout.entryPort}`,
    DATABASE_URL: `postgresql://${APP_ROLE}@${databaseNode.host}:${databaseNode.postgresPort}/${LOCAL_DATABASE}`,
    SYNC_DATABASE_URL: `postgresql://${SYNC_ROLE}@${databaseNode.host}:${databaseNode.postgresPort}/${LOCAL_DATABASE}`,
    REPLICATED_TABLES: replicatedTables.join(','),
    HOSTNAME: node.host,
    PORT: String(node.appPort),
    SYNC_HTTP_PORT: String(node.appPort),
    SYNC_BIND_ADDRESS: node.host,
    SYNC_SERVICE_PORT: String(node.syncPort),
    APP_METRICS_PORT: String(node.appMetricsPort),
    SYNC_METRICS_PORT: String(node.syncMetricsPort),
    SYNC_DISCOVERY: 'static',
    SYNC_PEERS: layout.nodes
      .filter((n) => n.index !== node.index)
      .map(syncAddress)
      .join(','),
    NODE_ENV: 'production',
    // The entry point (and nothing else on this machine's loopback) may say who the client is.
    TRUSTED_PROXIES: layout.entryHost,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
