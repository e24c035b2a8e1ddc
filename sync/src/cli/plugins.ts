/**
 * Plugins the `run` command starts with the service, in order: replication when every node has its own database
 * (DATABASE_TOPOLOGY=per-node), otherwise the shared-database plugin, which keeps capture off the one database.
 */
import type { NodeConfig } from '@msk/contract';
import { replicationPlugin, sharedDatabasePlugin } from '../replicationPlugin';
import type { SyncServicePlugin } from '../service/plugin';

export function defaultPlugins(config: NodeConfig): SyncServicePlugin[] {
  return [config.databaseTopology === 'shared' ? sharedDatabasePlugin() : replicationPlugin()];
}
