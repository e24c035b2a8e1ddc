/**
 * The one builder of valid node environments for tests (contract, sync, app): fresh secrets per cluster, one
 * environment per node; tests override what they examine.
 */
import { randomBytes } from 'node:crypto';
import { REFERENCE_APP_REPLICATED_TABLES } from '../replicatedTables';

export type Env = Record<string, string>;

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64');
}

export function newNodeId(): string {
  return randomBytes(8).toString('hex');
}

/** What every node of one cluster shares: fresh secrets each call, the reference app's replicated tables. */
export function newSharedEnv(overrides: Env = {}): Env {
  return {
    NEXTAUTH_SECRET: newSessionSecret(),
    SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
    NEXTAUTH_URL: 'https://platform.example.com',
    DATABASE_URL: 'postgresql://multi_business@localhost:5432/multi_business_db',
    REPLICATED_TABLES: REFERENCE_APP_REPLICATED_TABLES.join(','),
    ...overrides,
  };
}

/** Shared variables of a cluster of sync services on loopback: port 8765 on one address per node, debug logs. */
export function loopbackSharedEnv(overrides: Env = {}): Env {
  return newSharedEnv({
    NEXTAUTH_URL: 'http://127.0.0.1:8080',
    DATABASE_URL: 'postgresql://msk@localhost:5432/multi_business_db',
    SYNC_SERVICE_PORT: '8765',
    SYNC_LOG_LEVEL: 'debug',
    ...overrides,
  });
}

export interface TestNode {
  readonly name: string;
  /** SYNC_BIND_ADDRESS; @default unset (all addresses) */
  readonly ip?: string;
  /** @default a fresh node ID */
  readonly id?: string;
  readonly peers?: readonly string[];
}

/** One node's environment: the shared variables and its own identity. */
export function nodeEnv(shared: Env, node: TestNode, overrides: Env = {}): Env {
  return {
    ...shared,
    SYNC_NODE_ID: node.id ?? newNodeId(),
    SYNC_NODE_NAME: node.name,
    ...(node.ip === undefined ? {} : { SYNC_BIND_ADDRESS: node.ip }),
    SYNC_PEERS: (node.peers ?? []).join(','),
    ...overrides,
  };
}

/** A complete, valid environment of one node with one peer: tests change one variable of it. */
export function goodEnvironment(overrides: Env = {}): Env {
  return nodeEnv(newSharedEnv(), { name: 'node-1', peers: ['10.0.0.2:8765'] }, overrides);
}
