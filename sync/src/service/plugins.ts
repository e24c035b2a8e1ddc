/**
 * Plugins the `run` command starts with the service, in order. Replication adds itself here.
 */
import type { NodeConfig } from '@msk/kit/contract';
import type { SyncServicePlugin } from './plugin';

export function defaultPlugins(_config: NodeConfig): SyncServicePlugin[] {
  return [];
}
