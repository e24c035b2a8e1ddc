/** How many peers each node's sync service reports connected: the cluster is whole when each sees all the others. */
import { type NodeLayout, syncAddress } from './clusterLayout';

/** `Peers Connected` per node, as each sync service reports it (undefined when it does not answer). */
export async function peersConnected(nodes: readonly NodeLayout[]): Promise<Map<number, number | undefined>> {
  const result = new Map<number, number | undefined>();
  await Promise.all(
    nodes.map(async (node) => {
      try {
        const response = await fetch(`http://${syncAddress(node)}/status`, { signal: AbortSignal.timeout(1000) });
        const body = (await response.json()) as { peersConnected?: unknown };
        result.set(node.index, typeof body.peersConnected === 'number' ? body.peersConnected : undefined);
      } catch {
        result.set(node.index, undefined);
      }
    }),
  );
  return result;
}

/** Every node whose sync service runs reports all the other running ones connected. */
export function allPeersConnected(
  counts: ReadonlyMap<number, number | undefined>,
  runningSyncs: readonly number[],
): boolean {
  return runningSyncs.every((index) => counts.get(index) === runningSyncs.length - 1);
}
