/**
 * What the engine needs from a transport: ask a peer for changes after a cursor, or for a snapshot. The HTTP
 * channel implements this on the puller's side (POST the request, return the parsed JSON body as `unknown`); the
 * source answers with `answerPull` / `answerSnapshot` (engine/replicationServer.ts). Responses are validated by
 * the engine, so a transport returns whatever the peer sent.
 */
import type { PullRequest, SnapshotRequest } from '../core/protocol';

export interface ReplicationTransport {
  /** Resolves with the peer's raw answer; rejects when the peer can't be reached. */
  pull(peerId: string, request: PullRequest): Promise<unknown>;
  snapshot(peerId: string, request: SnapshotRequest): Promise<unknown>;
}

export class PeerUnreachableError extends Error {
  constructor(
    readonly peerId: string,
    reason: string,
  ) {
    super(`peer ${peerId} is unreachable: ${reason}`);
  }
}

/**
 * The peer answered but its replication is not running yet (it waits for the app's tables, or opens its store):
 * expected while a cluster starts, so it is retried like an unreachable peer but never counted as an error.
 */
export class PeerNotReadyError extends Error {
  constructor(
    readonly peerId: string,
    reason: string,
  ) {
    super(`peer ${peerId} is not ready yet: ${reason}`);
  }
}
