/**
 * Real sync service processes for one test file: the build is checked once before the tests, and every node a test
 * starts is stopped after it.
 */
import type { SyncStatus } from '../status/statusModel';
import { ensureSyncBuilt } from './buildOnce';
import { type NodeOptions, type StartedNode, startNode, stopAll } from './nodeProcess';

export type StartNode = (env: Record<string, string>, options?: Omit<NodeOptions, 'env'>) => Promise<StartedNode>;

/** Call at the top of a test file (it registers beforeAll/afterEach); start nodes with the returned function. */
export function useNodeProcesses(): StartNode {
  const started: StartedNode[] = [];
  beforeAll(() => ensureSyncBuilt());
  afterEach(async () => {
    await stopAll(started.splice(0));
  });
  return async (env, options = {}) => {
    const node = await startNode({ env, ...options });
    started.push(node);
    return node;
  };
}

/** The names of the peers a node has authenticated, sorted. */
export function authenticatedPeerNames(status: SyncStatus): (string | null)[] {
  return status.peers
    .filter((p) => p.authState === 'authenticated')
    .map((p) => p.name)
    .sort();
}
