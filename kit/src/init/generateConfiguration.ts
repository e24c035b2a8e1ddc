/**
 * The pure part of `init`: fresh secrets and per-node identities for N servers, as the contract describes them.
 * Randomness comes in as a parameter so tests can check the shapes deterministically.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import {
  DEFAULT_APP_PORT,
  DEFAULT_SYNC_SERVICE_PORT,
  type DatabaseTopology,
  REFERENCE_APP_REPLICATED_TABLES,
  type SyncDiscoveryMode,
  isLoopbackDatabase,
  variable,
} from '@msk/contract';
import { APP_ROLE, SYNC_ROLE } from '../postgres/databaseRoles';

export type RandomBytes = (size: number) => Buffer;

export interface InitOptions {
  /** @default 2 */
  readonly nodes?: number;
  /** The one URL users open (entry point). @default http://127.0.0.1:8080 */
  readonly publicUrl?: string;
  /** @default 'mdns' without peers, 'static' with peers */
  readonly discovery?: SyncDiscoveryMode;
  /** Sync addresses of the nodes, in node order (host or host:port); gives each node the others as SYNC_PEERS. */
  readonly peers?: readonly string[];
  /** Node names are `<prefix>-<n>`. @default 'node' */
  readonly namePrefix?: string;
  /**
   * per-node: every node its own database (DATABASE_URL on localhost), replicated. shared: every node the one database
   * of --database-url, which must then be given and must not be on localhost. @default per-node
   */
  readonly database?: DatabaseTopology;
  /** Each node's own database (or with database shared, the one), as the app's role. @default postgresql://msk_app@localhost:5432/multi_business_db */
  readonly databaseUrl?: string | ((node: number) => string);
  /** For dns discovery. */
  readonly dnsName?: string;
  /** The app's tables to replicate (REPLICATED_TABLES). @default REFERENCE_APP_REPLICATED_TABLES (the reference app) */
  readonly tables?: readonly string[];
  /** Extra values for every node (e.g. the local cluster's settings). */
  readonly extraShared?: ReadonlyArray<readonly [string, string]>;
}

export type EnvValues = ReadonlyArray<readonly [string, string]>;

export interface GeneratedNode {
  readonly index: number;
  readonly name: string;
  readonly values: EnvValues;
}

export interface GeneratedConfiguration {
  readonly secrets: EnvValues;
  readonly shared: EnvValues;
  readonly nodes: readonly GeneratedNode[];
}

export const MAX_NODES = 64;
export const DEFAULT_DATABASE_URL = `postgresql://${APP_ROLE}@localhost:5432/multi_business_db`;

/** The sync service's URL of a node: the app's URL (database, host) with the sync service's own role. */
export function syncDatabaseUrlFor(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.username = SYNC_ROLE;
  url.password = '';
  return url.toString();
}

/** The secrets of a cluster, made as the contract's fixes say (`openssl rand …`). */
export function generateSecrets(random: RandomBytes = nodeRandomBytes): EnvValues {
  return [
    ['NEXTAUTH_SECRET', random(32).toString('base64')],
    ['SYNC_REGISTRATION_KEY', random(32).toString('hex')],
    ['NEXT_SERVER_ACTIONS_ENCRYPTION_KEY', random(32).toString('base64')],
    ['DATABASE_PASSWORD', random(24).toString('hex')],
    ['SYNC_DATABASE_PASSWORD', random(24).toString('hex')],
  ];
}

export function generateNodeId(random: RandomBytes = nodeRandomBytes): string {
  return random(8).toString('hex');
}

export class InitOptionError extends Error {}

function validateOptions(
  options: InitOptions,
): Required<Pick<InitOptions, 'nodes' | 'publicUrl' | 'namePrefix' | 'tables'>> {
  const nodes = options.nodes ?? 2;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new InitOptionError(`--nodes must be a whole number from 1 to ${MAX_NODES}, got ${options.nodes}`);
  }
  const publicUrl = options.publicUrl ?? `http://127.0.0.1:${DEFAULT_APP_PORT}`;
  const urlProblem = variable('NEXTAUTH_URL').check(publicUrl);
  if (urlProblem) throw new InitOptionError(`--public-url ${urlProblem}`);
  const namePrefix = options.namePrefix ?? 'node';
  const nameProblem = variable('SYNC_NODE_NAME').check(`${namePrefix}-${nodes}`);
  if (nameProblem) throw new InitOptionError(`--name-prefix: node names ${nameProblem}`);
  if (options.peers && options.peers.length !== nodes) {
    throw new InitOptionError(
      `--peers lists ${options.peers.length} address(es) but --nodes is ${nodes}: give one per node, in order`,
    );
  }
  for (const peer of options.peers ?? []) {
    const problem = variable('SYNC_PEERS').check(peer);
    if (problem) throw new InitOptionError(`--peers: ${problem}`);
  }
  if (options.database === 'shared') {
    if (typeof options.databaseUrl !== 'string') {
      throw new InitOptionError(
        '--database shared needs --database-url: the URL every node reaches the shared PostgreSQL at, e.g. postgresql://msk_app@db.example.com:5432/multi_business_db',
      );
    }
    const problem = variable('DATABASE_URL').check(options.databaseUrl);
    if (problem) throw new InitOptionError(`--database-url ${problem}`);
    if (isLoopbackDatabase(options.databaseUrl) && nodes > 1) {
      throw new InitOptionError(
        `--database shared: --database-url points at ${new URL(options.databaseUrl).hostname}, which is each server's own machine, not one database they share. Fix: give the shared PostgreSQL's host name (or its service name in Kubernetes)`,
      );
    }
  }
  if (options.discovery === 'dns' && !options.dnsName) {
    throw new InitOptionError('--discovery dns needs --dns-name (the name whose records list the peers)');
  }
  const tables = options.tables ?? REFERENCE_APP_REPLICATED_TABLES;
  const tablesProblem =
    tables.length === 0 ? 'must name at least one table' : variable('REPLICATED_TABLES').check(tables.join(','));
  if (tablesProblem) throw new InitOptionError(`--tables ${tablesProblem}`);
  return { nodes, publicUrl: new URL(publicUrl).origin, namePrefix, tables };
}

export function generateConfiguration(
  options: InitOptions,
  secrets: EnvValues,
  random: RandomBytes = nodeRandomBytes,
): GeneratedConfiguration {
  const { nodes, publicUrl, namePrefix, tables } = validateOptions(options);
  const discovery = options.discovery ?? (options.peers ? 'static' : 'mdns');
  const shared: Array<readonly [string, string]> = [
    ['NEXTAUTH_URL', publicUrl],
    ['SYNC_SERVICE_PORT', String(DEFAULT_SYNC_SERVICE_PORT)],
    ['SYNC_DISCOVERY', discovery],
    ...(options.dnsName ? ([['SYNC_DNS_NAME', options.dnsName]] as const) : []),
    ['NODE_ENV', 'production'],
    ['APP_NAME', variable('APP_NAME').default as string],
    ['PORT', String(DEFAULT_APP_PORT)],
    ['SYNC_HTTP_PORT', String(DEFAULT_APP_PORT)],
    ['SYNC_INTERVAL', variable('SYNC_INTERVAL').default as string],
    ['SYNC_AUTO_START', 'true'],
    ['SYNC_LOG_LEVEL', 'info'],
    ['DATABASE_TOPOLOGY', options.database ?? 'per-node'],
    ['REPLICATED_TABLES', tables.join(',')],
    ...(options.extraShared ?? []),
  ];
  const ids = new Set<string>();
  const generated: GeneratedNode[] = [];
  for (let index = 1; index <= nodes; index++) {
    let id = generateNodeId(random);
    while (ids.has(id)) id = generateNodeId(random);
    ids.add(id);
    const name = `${namePrefix}-${index}`;
    const databaseUrl =
      typeof options.databaseUrl === 'function'
        ? options.databaseUrl(index)
        : (options.databaseUrl ?? DEFAULT_DATABASE_URL);
    const values: Array<readonly [string, string]> = [
      ['SYNC_NODE_ID', id],
      ['SYNC_NODE_NAME', name],
      ['DATABASE_URL', databaseUrl],
      ['SYNC_DATABASE_URL', syncDatabaseUrlFor(databaseUrl)],
    ];
    if (options.peers) {
      values.push(['SYNC_PEERS', options.peers.filter((_, i) => i !== index - 1).join(',')]);
    }
    generated.push({ index, name, values });
  }
  return { secrets, shared, nodes: generated };
}
