/**
 * The nodes of a local cluster started by `npm start` in this folder, read from the cluster.json its
 * supervisor writes (and deletes when it stops), so `service:status` can show every local node at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from './processControl';

export const DEFAULT_LOCAL_CLUSTER_DIR = '.local-cluster';

export interface LocalClusterNode {
  readonly name: string;
  /** host:port of the node's sync service. */
  readonly syncAddress: string;
}

export function localClusterNodes(cwd: string, dataDir = DEFAULT_LOCAL_CLUSTER_DIR): LocalClusterNode[] | undefined {
  const file = path.resolve(cwd, dataDir, 'cluster.json');
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as {
      supervisorPid?: number;
      state?: { nodes?: Array<{ name?: string; syncUrl?: string }> };
    };
    if (typeof parsed.supervisorPid !== 'number' || !isAlive(parsed.supervisorPid)) return undefined;
    return (parsed.state?.nodes ?? [])
      .filter(
        (n): n is { name: string; syncUrl: string } => typeof n.name === 'string' && typeof n.syncUrl === 'string',
      )
      .map((n) => ({ name: n.name, syncAddress: n.syncUrl.replace(/^https?:\/\//, '') }));
  } catch {
    return undefined;
  }
}
