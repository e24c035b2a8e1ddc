/**
 * The puller side of replication for one node: ask a peer for the states after our cursor, validate the answer,
 * apply it with the new cursor in one transaction. At-least-once delivery (a lost answer is asked for again from
 * the same cursor) + idempotent merge = exactly-once effect.
 */
import { namedIssues } from '@msk/contract';
import type { ChangeBatch, Cursor, RowChange } from '../core/protocol';
import { hlcWallMs } from '../core/hlc';
import { PROTOCOL_VERSION, pullResponseSchema, pushSchema, sameCursor, snapshotResponseSchema } from '../core/protocol';
import type { UniqueConflictRecord } from '../store/replicationStore';
import type { ReplicationStore } from '../store/replicationStore';
import { DEFAULT_PULL_LIMIT } from '../store/replicationStore';
import { DEFAULT_SNAPSHOT_PAGE_CHANGES } from '../core/snapshotPages';
import type { LoadPosition, LoadProgress } from './pagedLoad';
import { loadInPages } from './pagedLoad';
import { PeerNotReadyError, SnapshotPagesUnsupportedError, type ReplicationTransport } from './transport';

export type PullOutcome =
  | {
      readonly peerId: string;
      readonly kind: 'applied';
      readonly applied: number;
      readonly unchanged: number;
      readonly pending: number;
      readonly conflicts: readonly UniqueConflictRecord[];
      readonly received: number;
      readonly hasMore: boolean;
      readonly remainingChanges: number;
      /** Now minus the wall time of the newest stamp received (how far behind the writes we are; includes
       * clock skew between the nodes). null when the batch was empty. */
      readonly lagMs: number | null;
      readonly durationMs: number;
    }
  | {
      readonly peerId: string;
      /** waiting-for-upgrade: the peer has columns this node lacks (a rolling upgrade); nothing applied, no error. */
      readonly kind:
        | 'refused'
        | 'reload-required'
        | 'schema-mismatch'
        | 'waiting-for-upgrade'
        | 'bad-response'
        | 'unreachable'
        | 'peer-not-ready';
      readonly message: string;
      readonly durationMs: number;
    };

export interface ReplicatorProps {
  readonly store: ReplicationStore;
  readonly transport: ReplicationTransport;
  /** @default DEFAULT_PULL_LIMIT */
  readonly pullLimit?: number;
  /** @default Date.now */
  readonly getNowMs?: () => number;
  /** Row states per page of an initial load. @default DEFAULT_SNAPSHOT_PAGE_CHANGES */
  readonly snapshotPageLimit?: number;
  /** Told after every page of an initial load that was applied. */
  readonly onLoadProgress?: (progress: LoadProgress) => void;
}

/** A batch carrying at least this fraction of the pull limit means changes are streaming: ask ahead. */
export const FLOWING_MIN_FRACTION = 0.1;

/** Most batches one catch-up takes before yielding to other peers. */
export const MAX_BATCHES_PER_CATCH_UP = 1000;

export class Replicator {
  private readonly store: ReplicationStore;
  private readonly transport: ReplicationTransport;
  private readonly pullLimit: number;
  private readonly getNowMs: () => number;
  private readonly snapshotPageLimit: number;
  private readonly onLoadProgress: ((progress: LoadProgress) => void) | undefined;
  /** Where an interrupted paged load continues. */
  private loadPosition: LoadPosition | undefined;

  constructor(props: ReplicatorProps) {
    this.store = props.store;
    this.transport = props.transport;
    this.pullLimit = props.pullLimit ?? DEFAULT_PULL_LIMIT;
    this.getNowMs = props.getNowMs ?? Date.now;
    this.snapshotPageLimit = props.snapshotPageLimit ?? DEFAULT_SNAPSHOT_PAGE_CHANGES;
    this.onLoadProgress = props.onLoadProgress;
  }

  get nodeId(): string {
    return this.store.nodeId;
  }

  private async failed(
    peerId: string,
    kind: Exclude<PullOutcome['kind'], 'applied'>,
    message: string,
    startedMs: number,
  ): Promise<PullOutcome> {
    // a refused batch is recorded by the store itself; a peer that is still starting, or a batch that waits for
    // this node's upgrade, is no error
    if (kind !== 'refused' && kind !== 'peer-not-ready' && kind !== 'waiting-for-upgrade')
      await this.store.recordPeerError(peerId, message).catch(() => undefined);
    return { peerId, kind, message, durationMs: this.getNowMs() - startedMs };
  }

  /** A transport that failed: the peer is still starting, or could not be reached at all. */
  private notAnswered(peerId: string, error: unknown, startedMs: number): Promise<PullOutcome> {
    const kind = error instanceof PeerNotReadyError ? 'peer-not-ready' : 'unreachable';
    return this.failed(peerId, kind, error instanceof Error ? error.message : String(error), startedMs);
  }

  private request(peerId: string, cursor: Cursor | null, acknowledged: Cursor | null): Promise<unknown> {
    return this.transport.pull(peerId, {
      type: 'pull',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: this.store.schemaVersion,
      requesterNodeId: this.store.nodeId,
      cursor,
      limit: this.pullLimit,
      ...(acknowledged !== cursor ? { acknowledged } : {}),
    });
  }

  /** Validates a peer's answer and applies it (with the new cursor, in one transaction). */
  private async handle(
    peerId: string,
    parsed: ReturnType<typeof pullResponseSchema.safeParse> | { success: true; data: ChangeBatch },
    startedMs: number,
  ): Promise<{ outcome: PullOutcome; batch?: ChangeBatch }> {
    if (!parsed.success) {
      return {
        outcome: await this.failed(
          peerId,
          'bad-response',
          `answer from ${peerId} refused: ${namedIssues(parsed.error)}`,
          startedMs,
        ),
      };
    }
    const response = parsed.data;
    if (response.type === 'reload-required')
      return { outcome: await this.failed(peerId, 'reload-required', response.message, startedMs) };
    if (response.type === 'schema-mismatch')
      return { outcome: await this.failed(peerId, 'schema-mismatch', response.message, startedMs) };
    if (response.sourceNodeId !== peerId) {
      return {
        outcome: await this.failed(
          peerId,
          'bad-response',
          `answer names node ${response.sourceNodeId}, expected ${peerId}`,
          startedMs,
        ),
      };
    }
    if (!(await this.sameIncarnation(peerId, response.sourceIncarnation))) {
      const message =
        `node ${peerId}'s database is another incarnation (${response.sourceIncarnation}) than the one our cursor on it came from ` +
        '(it was restored from a backup, or replaced): nothing applied; starting over from the beginning of its log';
      return { outcome: await this.failed(peerId, 'reload-required', message, startedMs) };
    }
    const outcome = await this.store.applyBatch(peerId, response);
    if (!outcome.ok && outcome.waitingForUpgrade) {
      return { outcome: await this.failed(peerId, 'waiting-for-upgrade', outcome.problems.join('; '), startedMs) };
    }
    if (!outcome.ok) {
      return {
        outcome: await this.failed(
          peerId,
          'refused',
          `batch from ${peerId} refused: ${outcome.problems.join('; ')}`,
          startedMs,
        ),
      };
    }
    return {
      batch: response,
      outcome: {
        peerId,
        kind: 'applied',
        applied: outcome.applied,
        unchanged: outcome.unchanged,
        pending: outcome.pending,
        conflicts: outcome.conflicts,
        received: response.changes.length,
        hasMore: response.hasMore,
        remainingChanges: response.remainingChanges,
        lagMs: newestWallMs(response.changes, this.getNowMs()),
        durationMs: this.getNowMs() - startedMs,
      },
    };
  }

  /**
   * Whether an answer from `peerId` belongs to the incarnation of its database that our cursor on it came from. The
   * first incarnation seen is recorded; a different one resets our cursor on the peer to its start (the restored or
   * replaced database's log positions say nothing about what we have), so the caller pulls it all again (the merge
   * is idempotent). Answers without an incarnation (earlier releases) pass.
   */
  private async sameIncarnation(peerId: string, incarnation: string | undefined): Promise<boolean> {
    if (incarnation === undefined) return true;
    const known = await this.store.peerIncarnation(peerId);
    if (known === incarnation) return true;
    await this.store.setPeerIncarnation(peerId, incarnation, known !== null);
    return known === null;
  }

  /**
   * A push from the peer (a poke carrying its latest changes): applied like a pulled batch when it starts where
   * our cursor on the peer is. Resolves null when it does not (a pull catches up instead). The caller serializes
   * it with the pulls from this peer (PullScheduler).
   */
  async applyPushed(peerId: string, raw: unknown): Promise<PullOutcome | null> {
    const startedMs = this.getNowMs();
    const push = pushSchema.safeParse(raw);
    if (!push.success) {
      return this.failed(peerId, 'bad-response', `push from ${peerId} refused: ${namedIssues(push.error)}`, startedMs);
    }
    if (!sameCursor(await this.store.peerCursor(peerId), push.data.fromCursor)) return null;
    // a peer on another schema version pushes without its table description: its pull answer carries it
    if (push.data.batch.schemaVersion !== this.store.schemaVersion && !push.data.batch.schema) return null;
    return (await this.handle(peerId, { success: true, data: push.data.batch }, startedMs)).outcome;
  }

  async pullOnce(peerId: string): Promise<PullOutcome> {
    const startedMs = this.getNowMs();
    const cursor = await this.store.peerCursor(peerId);
    let raw: unknown;
    try {
      raw = await this.request(peerId, cursor, cursor);
    } catch (error) {
      return this.notAnswered(peerId, error, startedMs);
    }
    return (await this.handle(peerId, pullResponseSchema.safeParse(raw), startedMs)).outcome;
  }

  /**
   * Pulls until the peer has nothing more below its fence (or an error, or MAX_BATCHES_PER_CATCH_UP). While a
   * batch is applied the next one is already asked for (the source reads while we write); the source is told
   * what we have actually applied, so it never purges ahead of us.
   */
  async catchUp(peerId: string): Promise<{ batches: number; applied: number; last: PullOutcome }> {
    let batches = 0;
    let applied = 0;
    let cursor = await this.store.peerCursor(peerId);
    let startedMs = this.getNowMs();
    let next: Promise<unknown> = this.request(peerId, cursor, cursor);
    for (;;) {
      let raw: unknown;
      try {
        raw = await next;
      } catch (error) {
        const outcome = await this.notAnswered(peerId, error, startedMs);
        return { batches: batches + 1, applied, last: outcome };
      }
      batches += 1;
      const ahead = pullResponseSchema.safeParse(raw);
      let prefetch: Promise<unknown> | undefined;
      // Ask for the next batch while this one is applied: when the peer said there is more, and while a stream of
      // commits keeps batches big (reading there and writing here overlap). Not for a trickle: measured through
      // the service, asking ahead after every single change kept the catch-up busy when the next poke came and
      // raised the single-change lag p50 from 8 to 13 ms.
      const flowing =
        ahead.success &&
        ahead.data.type === 'batch' &&
        (ahead.data.hasMore || ahead.data.changes.length >= Math.ceil(this.pullLimit * FLOWING_MIN_FRACTION));
      if (flowing && batches < MAX_BATCHES_PER_CATCH_UP) {
        prefetch = this.request(peerId, (ahead.data as ChangeBatch).nextCursor, cursor);
        prefetch.catch(() => undefined); // its failure is reported when awaited
      }
      const { outcome, batch } = await this.handle(peerId, ahead, startedMs);
      if (outcome.kind !== 'applied' || !batch) return { batches, applied, last: outcome };
      applied += outcome.applied;
      cursor = batch.nextCursor;
      if (!prefetch) return { batches, applied, last: outcome };
      next = prefetch;
      startedMs = this.getNowMs();
    }
  }

  /**
   * Initial load of a new or wiped node: a snapshot from `sourcePeerId` (our cursor on it becomes the one taken
   * before the snapshot), and for every other peer a start at its current head — what those peers wrote before
   * reaches us through the source, which passes on every state it applies.
   */
  async initialLoad(sourcePeerId: string, otherPeerIds: readonly string[]): Promise<PullOutcome> {
    const startedMs = this.getNowMs();
    for (const peerId of otherPeerIds) {
      let raw: unknown;
      try {
        raw = await this.transport.pull(peerId, {
          type: 'pull',
          protocolVersion: PROTOCOL_VERSION,
          schemaVersion: this.store.schemaVersion,
          requesterNodeId: this.store.nodeId,
          cursor: null,
          limit: 1,
          startAtHead: true,
        });
      } catch {
        continue; // an unreachable peer is pulled from the start later; its states are idempotent
      }
      const parsed = pullResponseSchema.safeParse(raw);
      if (parsed.success && parsed.data.type === 'batch') {
        if (parsed.data.sourceIncarnation)
          await this.store.setPeerIncarnation(peerId, parsed.data.sourceIncarnation, false);
        await this.store.setPeerCursor(peerId, parsed.data.nextCursor);
      }
    }
    if (this.transport.snapshotPage) {
      try {
        return await this.loadPaged(sourcePeerId, startedMs);
      } catch (error) {
        if (!(error instanceof SnapshotPagesUnsupportedError)) throw error;
      }
    }
    let raw: unknown;
    try {
      raw = await this.transport.snapshot(sourcePeerId, {
        type: 'snapshot-request',
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: this.store.schemaVersion,
        requesterNodeId: this.store.nodeId,
      });
    } catch (error) {
      return this.notAnswered(sourcePeerId, error, startedMs);
    }
    const parsed = snapshotResponseSchema.safeParse(raw);
    if (!parsed.success) {
      return this.failed(
        sourcePeerId,
        'bad-response',
        `snapshot from ${sourcePeerId} refused: ${namedIssues(parsed.error)}`,
        startedMs,
      );
    }
    if (parsed.data.type === 'schema-mismatch')
      return this.failed(sourcePeerId, 'schema-mismatch', parsed.data.message, startedMs);
    const outcome = await this.store.loadSnapshot(sourcePeerId, parsed.data);
    if (!outcome.ok && outcome.waitingForUpgrade)
      return this.failed(sourcePeerId, 'waiting-for-upgrade', outcome.problems.join('; '), startedMs);
    if (!outcome.ok)
      return this.failed(
        sourcePeerId,
        'refused',
        `snapshot from ${sourcePeerId} refused: ${outcome.problems.join('; ')}`,
        startedMs,
      );
    // our cursor on the source is now the snapshot's: it belongs to the incarnation that made it
    if (parsed.data.sourceIncarnation)
      await this.store.setPeerIncarnation(sourcePeerId, parsed.data.sourceIncarnation, false);
    return {
      peerId: sourcePeerId,
      kind: 'applied',
      applied: outcome.applied,
      unchanged: outcome.unchanged,
      pending: outcome.pending,
      conflicts: outcome.conflicts,
      received: parsed.data.changes.length,
      hasMore: true,
      remainingChanges: 0,
      lagMs: null,
      durationMs: this.getNowMs() - startedMs,
    };
  }

  /** The initial load in pages (core/snapshotPages.ts); throws SnapshotPagesUnsupportedError for an older peer. */
  private async loadPaged(peerId: string, startedMs: number): Promise<PullOutcome> {
    const result = await loadInPages({
      store: this.store,
      transport: this.transport as Parameters<typeof loadInPages>[0]['transport'],
      peerId,
      limit: this.snapshotPageLimit,
      resumeFrom: this.loadPosition,
      onPosition: (position, progress) => {
        this.loadPosition = position;
        if (position) this.onLoadProgress?.(progress);
      },
    });
    if (result.kind === 'unanswered') return this.notAnswered(peerId, result.error, startedMs);
    if (result.kind === 'failed') return this.failed(peerId, result.failure, result.message, startedMs);
    return {
      peerId,
      kind: 'applied',
      applied: result.applied,
      unchanged: result.unchanged,
      pending: result.pending,
      conflicts: result.conflicts,
      received: result.received,
      hasMore: true,
      remainingChanges: 0,
      lagMs: null,
      durationMs: this.getNowMs() - startedMs,
    };
  }
}

function newestWallMs(changes: readonly RowChange[], nowMs: number): number | null {
  let newest = '';
  for (const change of changes) {
    if (change.hlc > newest) newest = change.hlc;
    if (change.deletedHlc && change.deletedHlc > newest) newest = change.deletedHlc;
    for (const hlc of Object.values(change.columnHlcs ?? {})) if (hlc > newest) newest = hlc;
  }
  return newest === '' ? null : Math.max(0, nowMs - hlcWallMs(newest));
}
