/**
 * The engine's ReplicationTransport over the sync service's authenticated channel: signed POSTs to the peer's
 * replication routes; the answer's signature is verified by the channel and its body validated by the engine.
 */
import { performance } from 'node:perf_hooks';
import {
  PeerNotReadyError,
  type Push,
  type ReplicationTransport,
  SnapshotPagesUnsupportedError,
} from '@msk/replication';
import { PeerChannelError } from '../service/peerChannel';
import type { SyncServiceApi } from '../service/plugin';

export const REPLICATION_ROUTES = {
  pull: '/sync/v1/replication/pull',
  snapshot: '/sync/v1/replication/snapshot',
  /** A page of an initial load (replication/src/core/snapshotPages.ts). */
  snapshotPage: '/sync/v1/replication/snapshot-page',
  /** "Pull now": the sender committed something; with its changes when they are few (a push). */
  poke: '/sync/v1/replication/poke',
} as const;

/** A pull answer is at most one batch (2,000 states by default). */
export const PULL_TIMEOUT_MS = 30_000;
/** A whole snapshot (a peer of an earlier release) carries every row state of the peer. */
export const SNAPSHOT_TIMEOUT_MS = 120_000;
/** A page of an initial load is at most MAX_SNAPSHOT_PAGE_CHARS of values (5,000 states by default). */
export const SNAPSHOT_PAGE_TIMEOUT_MS = 60_000;
export const POKE_TIMEOUT_MS = 5_000;

export class ReplicationRequestError extends Error {
  override readonly name = 'ReplicationRequestError';
}

function answerMessage(json: unknown): string {
  if (typeof json === 'object' && json !== null) {
    const record = json as Record<string, unknown>;
    const text = record.message ?? record.error;
    if (typeof text === 'string') return text.slice(0, 500);
  }
  return 'no explanation';
}

/**
 * @param onAnswered called with how long each answered request took (signed round trip + the source's read), so
 * the time a catch-up spends waiting for the peer can be told apart from the time it spends applying.
 */
export function channelTransport(
  api: Pick<SyncServiceApi, 'request'>,
  onAnswered?: (kind: 'pull' | 'snapshot', durationMs: number) => void,
): ReplicationTransport {
  const post = async (peerId: string, path: string, json: unknown, timeoutMs: number): Promise<unknown> => {
    const startedMs = performance.now();
    const answer = await api.request(peerId, { method: 'POST', path, json, timeoutMs });
    onAnswered?.(path === REPLICATION_ROUTES.pull ? 'pull' : 'snapshot', performance.now() - startedMs);
    if (answer.status === 503 && (answer.json as { error?: unknown } | null)?.error === 'not-ready') {
      throw new PeerNotReadyError(peerId, answerMessage(answer.json));
    }
    if (answer.status !== 200) {
      throw new ReplicationRequestError(
        `peer ${peerId} answered HTTP ${answer.status} on ${path}: ${answerMessage(answer.json)}`,
      );
    }
    return answer.json;
  };
  return {
    pull: (peerId, request) => post(peerId, REPLICATION_ROUTES.pull, request, PULL_TIMEOUT_MS),
    snapshot: (peerId, request) => post(peerId, REPLICATION_ROUTES.snapshot, request, SNAPSHOT_TIMEOUT_MS),
    snapshotPage: (peerId, request) =>
      post(peerId, REPLICATION_ROUTES.snapshotPage, request, SNAPSHOT_PAGE_TIMEOUT_MS).catch((error: unknown) => {
        // a peer of an earlier release has no page route: the engine loads its snapshot in one answer
        if (error instanceof PeerChannelError && error.code === 'no-route')
          throw new SnapshotPagesUnsupportedError(peerId);
        throw error;
      }),
  };
}

/** "Pull now", or with `push` "here are my new changes" (see ChangePusher). Resolves whether the peer applied the push. */
export async function sendPoke(
  api: Pick<SyncServiceApi, 'request'>,
  peerId: string,
  push: Push | null = null,
): Promise<boolean> {
  const answer = await api.request(peerId, {
    method: 'POST',
    path: REPLICATION_ROUTES.poke,
    json: push ?? {},
    timeoutMs: POKE_TIMEOUT_MS,
  });
  if (answer.status !== 200)
    throw new ReplicationRequestError(
      `peer ${peerId} answered HTTP ${answer.status} to a poke: ${answerMessage(answer.json)}`,
    );
  return (
    typeof answer.json === 'object' && answer.json !== null && (answer.json as { applied?: unknown }).applied === true
  );
}
