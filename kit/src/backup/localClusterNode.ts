/**
 * A node of the local cluster (`npm start`) as backup and restore see it: its PostgreSQL (from the running
 * cluster's state and the superuser file), its identity and the cluster's key (its node.env), and the cluster's
 * control API to stop and start the node's app and sync service around a restore.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LOCAL_SUPERUSER_FILE, readEnvFile } from '../cluster/clusterNodeEnvironment';
import { runningCluster } from '../cluster/supervisor';
import type { PostgresAccess } from './postgresTools';

export class LocalClusterError extends Error {}

export interface LocalClusterNode {
  readonly index: number;
  readonly nodeId: string;
  readonly nodeName: string;
  readonly registrationKey: string;
  readonly access: PostgresAccess;
  /** Calls the running cluster's control API for this node. */
  control(action: 'stop-services' | 'start-postgres' | 'start'): Promise<void>;
}

export function localClusterNode(dataDir: string, index: number, pgBinDir: string | undefined): LocalClusterNode {
  const cluster = runningCluster(dataDir);
  if (!cluster) {
    throw new LocalClusterError(
      `no local cluster is running from ${dataDir}: start it (npm start) in another terminal first` +
        (dataDir === '.local-cluster' ? '' : `, with --data-dir ${dataDir}`),
    );
  }
  const node = cluster.state.nodes.find((candidate) => candidate.index === index);
  if (!node)
    throw new LocalClusterError(
      `the cluster in ${dataDir} has no node ${index} (it has ${cluster.state.nodes.length})`,
    );
  const envPath = join(resolve(dataDir), `node-${index}`, 'node.env');
  if (!existsSync(envPath))
    throw new LocalClusterError(`${envPath} is missing: restart the cluster (npm start) to write it`);
  const env = readEnvFile(envPath);
  const superuser = readEnvFile(join(cluster.state.configDir, LOCAL_SUPERUSER_FILE));
  const url = new URL(node.postgresUrl);
  const required = (value: string | undefined, what: string) => {
    if (!value) throw new LocalClusterError(`${what} is missing (${envPath}): restart the cluster (npm start)`);
    return value;
  };
  return {
    index,
    nodeId: required(env.SYNC_NODE_ID, 'SYNC_NODE_ID'),
    nodeName: env.SYNC_NODE_NAME ?? node.name,
    registrationKey: required(env.SYNC_REGISTRATION_KEY, 'SYNC_REGISTRATION_KEY'),
    access: {
      kind: 'local',
      binDir: pgBinDir,
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: required(superuser.POSTGRES_PASSWORD, 'POSTGRES_PASSWORD of the superuser'),
      database: url.pathname.slice(1),
    },
    async control(action) {
      const response = await fetch(`${cluster.control.url}/nodes/${index}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cluster.control.token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { error?: string };
        throw new LocalClusterError(
          `the cluster could not ${action.replace('-', ' ')} node ${index}: ${body.error ?? response.status}`,
        );
      }
    },
  };
}
