/**
 * Where each node of a local cluster lives: its loopback address, ports and folders. Pure: the caller says
 * whether distinct loopback addresses work on this OS (Linux: the whole 127.0.0.0/8; macOS: only 127.0.0.1).
 */
import { join } from 'node:path';

export const ENTRY_HOST = '127.0.0.1';
export const DEFAULT_ENTRY_PORT = 8080;
export const NODE_APP_PORT = 8080;
export const NODE_SYNC_PORT = 8765;
export const NODE_POSTGRES_PORT = 5432;
export const NODE_APP_METRICS_PORT = 9464;
export const NODE_SYNC_METRICS_PORT = 9465;
export const MAX_LOCAL_NODES = 50;

export interface NodeLayout {
  readonly index: number;
  readonly name: string;
  readonly host: string;
  readonly appPort: number;
  readonly syncPort: number;
  /** APP_METRICS_PORT and SYNC_METRICS_PORT: Prometheus metrics, plain HTTP. */
  readonly appMetricsPort: number;
  readonly syncMetricsPort: number;
  readonly postgresPort: number;
  readonly dir: string;
  readonly postgresDataDir: string;
  readonly logDir: string;
}

export interface ClusterLayout {
  readonly dataDir: string;
  readonly configDir: string;
  readonly stateFile: string;
  readonly lockFile: string;
  readonly entryHost: string;
  readonly entryPort: number;
  /** False where only 127.0.0.1 routes (macOS): nodes then share it on distinct ports. */
  readonly distinctAddresses: boolean;
  readonly nodes: readonly NodeLayout[];
}

export function clusterLayout(options: {
  dataDir: string;
  nodes: number;
  distinctAddresses: boolean;
  entryPort?: number;
  /** Nodes get 127.0.<block>.2, .3, …; the entry point 127.0.<block>.1. Tests use their own block. @default 0 */
  addressBlock?: number;
}): ClusterLayout {
  const { dataDir, nodes, distinctAddresses } = options;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_LOCAL_NODES) {
    throw new Error(`--nodes must be a whole number from 1 to ${MAX_LOCAL_NODES}, got ${nodes}`);
  }
  const entryPort = options.entryPort ?? DEFAULT_ENTRY_PORT;
  const block = options.addressBlock ?? 0;
  if (!Number.isInteger(block) || block < 0 || block > 255)
    throw new Error(`address block must be 0-255, got ${block}`);
  const entryHost = distinctAddresses ? `127.0.${block}.1` : ENTRY_HOST;
  return {
    dataDir,
    configDir: join(dataDir, 'config'),
    stateFile: join(dataDir, 'cluster.json'),
    lockFile: join(dataDir, 'supervisor.pid'),
    entryHost,
    entryPort,
    distinctAddresses,
    nodes: Array.from({ length: nodes }, (_, i) => {
      const index = i + 1;
      const dir = join(dataDir, `node-${index}`);
      return {
        index,
        name: `node-${index}`,
        // 127.0.0.2, 127.0.0.3, … keep the guide's ports on every node; fallback: 127.0.0.1 with offsets.
        host: distinctAddresses ? `127.0.${block}.${index + 1}` : ENTRY_HOST,
        appPort: distinctAddresses ? NODE_APP_PORT : entryPort + index,
        syncPort: distinctAddresses ? NODE_SYNC_PORT : NODE_SYNC_PORT + index,
        // Shared 127.0.0.1: 9466/9467 for node 1, 9468/9469 for node 2, … (never one of the defaults).
        appMetricsPort: distinctAddresses ? NODE_APP_METRICS_PORT : NODE_APP_METRICS_PORT + 2 * index,
        syncMetricsPort: distinctAddresses ? NODE_SYNC_METRICS_PORT : NODE_SYNC_METRICS_PORT + 2 * index,
        postgresPort: distinctAddresses ? NODE_POSTGRES_PORT : NODE_POSTGRES_PORT + 10 + index,
        dir,
        postgresDataDir: join(dir, 'postgres'),
        logDir: join(dir, 'logs'),
      };
    }),
  };
}

export function appUrl(node: NodeLayout): string {
  return `http://${node.host}:${node.appPort}`;
}

export function syncAddress(node: NodeLayout): string {
  return `${node.host}:${node.syncPort}`;
}
