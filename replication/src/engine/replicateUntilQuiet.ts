/**
 * Engine-level driver: every node pulls from every peer, round after round, until a whole round changes nothing.
 * Used by the convergence tests (N stores in one process) and usable as a "sync now" for the service.
 */
import type { PullOutcome, Replicator } from './replicator';

export interface ReplicationNode {
  readonly nodeId: string;
  readonly replicator: Replicator;
  readonly peers: readonly string[];
}

export interface QuietOptions {
  /** @default 30 */
  readonly maxRounds?: number;
  /** Nodes that take no part (stopped). */
  readonly isDown?: (nodeId: string) => boolean;
}

export interface QuietResult {
  readonly rounds: number;
  readonly applied: number;
  /** Last outcome per (node, peer) that was not a clean apply. */
  readonly problems: readonly (PullOutcome & { readonly nodeId: string })[];
}

export class NotQuietError extends Error {}

export async function replicateUntilQuiet(
  nodes: readonly ReplicationNode[],
  options: QuietOptions = {},
): Promise<QuietResult> {
  const maxRounds = options.maxRounds ?? 30;
  const isDown = options.isDown ?? (() => false);
  let total = 0;
  for (let round = 1; round <= maxRounds; round++) {
    let appliedThisRound = 0;
    let moreWaiting = false;
    const problems: (PullOutcome & { nodeId: string })[] = [];
    for (const node of nodes) {
      if (isDown(node.nodeId)) continue;
      for (const peerId of node.peers) {
        if (isDown(peerId)) continue;
        const { applied, last } = await node.replicator.catchUp(peerId);
        appliedThisRound += applied;
        if (last.kind === 'applied') moreWaiting ||= last.hasMore;
        else problems.push({ ...last, nodeId: node.nodeId });
      }
    }
    total += appliedThisRound;
    if (appliedThisRound === 0 && !moreWaiting) return { rounds: round, applied: total, problems };
  }
  throw new NotQuietError(`replication did not settle within ${maxRounds} rounds`);
}
