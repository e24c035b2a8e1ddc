/** Environments for test nodes: fresh secrets per cluster, one address per node on loopback. */
import { randomBytes } from 'node:crypto';
import { REFERENCE_APP_REPLICATED_TABLES } from '@msk/contract';

export type Env = Record<string, string>;

export function newSharedEnv(overrides: Env = {}): Env {
  return {
    NEXTAUTH_SECRET: randomBytes(32).toString('base64'),
    SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
    NEXTAUTH_URL: 'http://127.0.0.1:8080',
    DATABASE_URL: 'postgresql://msk@localhost:5432/multi_business_db',
    SYNC_SERVICE_PORT: '8765',
    SYNC_LOG_LEVEL: 'debug',
    // the tables of appShapedTables.ts, which are the reference app's
    REPLICATED_TABLES: REFERENCE_APP_REPLICATED_TABLES.join(','),
    ...overrides,
  };
}

export function newNodeId(): string {
  return randomBytes(8).toString('hex');
}

export function nodeEnv(
  shared: Env,
  node: { name: string; ip: string; id?: string; peers?: readonly string[] },
  overrides: Env = {},
): Env {
  return {
    ...shared,
    SYNC_NODE_ID: node.id ?? newNodeId(),
    SYNC_NODE_NAME: node.name,
    SYNC_BIND_ADDRESS: node.ip,
    SYNC_PEERS: (node.peers ?? []).join(','),
    ...overrides,
  };
}
