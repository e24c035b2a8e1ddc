/**
 * Plugins the `run` command starts with the service, in order. Replication is always on: every node has a
 * DATABASE_URL (the contract requires it).
 */
import type { NodeConfig } from '@msk/kit/contract';
import { replicationPlugin } from '../replicationService';
import type { SyncServicePlugin } from './plugin';

export function defaultPlugins(_config: NodeConfig): SyncServicePlugin[] {
  return [replicationPlugin()];
}
