/**
 * What the engine needs from a transport: ask a peer for changes after a cursor, or for a snapshot. The HTTP
 * channel implements this on the puller's side (POST the request, return the parsed JSON body as `unknown`); the
 * source answers with `answerPull` / `answerSnapshot` (engine/replicationServer.ts). Responses are validated by
 * the engine, so a transport returns whatever the peer sent.
 */
import type { PullRequest, SnapshotRequest } from '../core/protocol';
import type { SnapshotPageRequest } from '../core/snapshotPages';

export interface ReplicationTransport {
  /** Resolves with the peer's raw answer; rejects when the peer can't be reached. */
  pull(peerId: string, request: PullRequest): Promise<unknown>;
  /** The whole snapshot in one answer (peers of earlier releases; capped by the channel's response limit). */
  snapshot(peerId: string, request: SnapshotRequest): Promise<unknown>;
  /** A page of an initial load (core/snapshotPages.ts). A transport without it loads with `snapshot`. Rejects
   * with SnapshotPagesUnsupportedError when the peer runs a release without pages. */
  snapshotPage?(peerId: string, request: SnapshotPageRequest): Promise<unknown>;
}

/** The peer runs a release that serves snapshots in one answer only: load with `snapshot` instead. */
export class SnapshotPagesUnsupportedError extends Error {
  constructor(readonly peerId: string) {
    super(`peer ${peerId} serves no snapshot pages (an earlier release): loading its snapshot in one answer`);
  }
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
