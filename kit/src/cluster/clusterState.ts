/**
 * What runs of each node of the local cluster, and the state the control API and `npm start` report from it: URLs,
 * process IDs and the superuser's connection URL without its password.
 */
import type { DatabaseTopology } from '@msk/contract';
import type { StartedPostgres } from '../postgres/embeddedPostgres';
import { type NodeLayout, appUrl, syncAddress } from './clusterLayout';
import { LOCAL_DATABASE, LOCAL_DATABASE_SUPERUSER } from './clusterNodeEnvironment';
import type { ManagedProcess } from './managedProcess';

export interface NodeState {
  readonly index: number;
  readonly name: string;
  readonly nodeId: string;
  readonly host: string;
  readonly appUrl: string;
  readonly syncUrl: string;
  /** Prometheus metrics of the node's app and sync service (plain HTTP). */
  readonly appMetricsUrl: string;
  readonly syncMetricsUrl: string;
  /** The node's PostgreSQL as its superuser (password in config/postgres-superuser.env); the app and sync use their own roles. */
  readonly postgresUrl: string;
  readonly running: boolean;
  readonly pids: { app?: number; sync?: number; postgres?: number };
  readonly logDir: string;
}

export interface ClusterState {
  readonly entryUrl: string;
  readonly dataDir: string;
  readonly configDir: string;
  readonly distinctAddresses: boolean;
  /** DATABASE_TOPOLOGY of every node: per-node (a PostgreSQL each) or shared (the first node's for all). */
  readonly database: DatabaseTopology;
  readonly nodes: readonly NodeState[];
}

export interface RunningNode {
  readonly layout: NodeLayout;
  postgres?: StartedPostgres;
  app?: ManagedProcess;
  sync?: ManagedProcess;
  env: Record<string, string>;
  /** The app build this node runs (a standalone folder with server.js); default: the repository's build. */
  appDir?: string;
}

/** One node's state; `databaseNode` is the node whose PostgreSQL it uses (itself, or the first with a shared one). */
export function nodeState(
  node: NodeLayout,
  running: ReadonlyMap<number, RunningNode>,
  databaseNode: NodeLayout,
): NodeState {
  const entry = running.get(node.index);
  return {
    index: node.index,
    name: entry?.env.SYNC_NODE_NAME ?? node.name,
    nodeId: entry?.env.SYNC_NODE_ID ?? '',
    host: node.host,
    appUrl: appUrl(node),
    syncUrl: `http://${syncAddress(node)}`,
    appMetricsUrl: `http://${node.host}:${entry?.env.APP_METRICS_PORT ?? node.appMetricsPort}/metrics`,
    syncMetricsUrl: `http://${node.host}:${entry?.env.SYNC_METRICS_PORT ?? node.syncMetricsPort}/metrics`,
    // Without the password: it stays in the 0600 config folder, never in state or output.
    postgresUrl: `postgresql://${LOCAL_DATABASE_SUPERUSER}@${databaseNode.host}:${databaseNode.postgresPort}/${LOCAL_DATABASE}`,
    running: Boolean(entry?.app?.running),
    pids: {
      app: entry?.app?.pid,
      sync: entry?.sync?.pid,
      postgres: running.get(databaseNode.index)?.postgres?.pid,
    },
    logDir: node.logDir,
  };
}
