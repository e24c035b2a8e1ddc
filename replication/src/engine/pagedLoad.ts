/**
 * The joining side of a paged initial load (core/snapshotPages.ts): ask a page, validate it as hostile input,
 * apply it (with our cursor on the source moved to its end, in one transaction), and ask for the next one while
 * this one is applied — at most two pages are in memory. Where a load stopped (the source went away, a page was
 * refused) is kept, so the next attempt in this process continues there; the source's fence and incarnation must
 * still be the same, otherwise the load starts over.
 */
import type { Cursor } from '../core/protocol';
import { PROTOCOL_VERSION, schemaMismatchSchema } from '../core/protocol';
import type { SnapshotPageRequest } from '../core/snapshotPages';
import { namedIssues } from '@msk/contract';
import { pageAsBatch, snapshotPageSchema } from '../core/snapshotPages';
import type { ReplicationStore, UniqueConflictRecord } from '../store/replicationStore';
import { z } from 'zod';
import type { ReplicationTransport } from './transport';
import { SnapshotPagesUnsupportedError } from './transport';

/** Conflicts a load reports in its outcome (all are recorded by the store). */
const MAX_CONFLICTS_KEPT = 1000;

const pageResponseSchema = z.discriminatedUnion('type', [snapshotPageSchema, schemaMismatchSchema]);
type PageAnswer = ReturnType<typeof pageResponseSchema.safeParse>;

/** Where an interrupted load continues: under the same fence, from the store's cursor on the peer. */
export interface LoadPosition {
  readonly peerId: string;
  readonly fence: string;
  readonly incarnation: string | undefined;
  /** The end of the last page applied (what the store's cursor is, unless the database lost applies since). */
  readonly after: Cursor;
}

export interface LoadProgress {
  readonly peerId: string;
  readonly pages: number;
  readonly received: number;
  readonly applied: number;
}

export type PagedLoadResult =
  | {
      readonly kind: 'loaded';
      readonly received: number;
      readonly applied: number;
      readonly unchanged: number;
      readonly pending: number;
      readonly conflicts: readonly UniqueConflictRecord[];
    }
  | {
      readonly kind: 'failed';
      readonly failure: 'bad-response' | 'schema-mismatch' | 'waiting-for-upgrade' | 'refused';
      readonly message: string;
    }
  | { readonly kind: 'unanswered'; readonly error: unknown };

export interface PagedLoadProps {
  readonly store: ReplicationStore;
  readonly transport: ReplicationTransport & Required<Pick<ReplicationTransport, 'snapshotPage'>>;
  readonly peerId: string;
  readonly limit: number;
  /** Where a previous attempt stopped (from this peer), or undefined: from the start. */
  readonly resumeFrom: LoadPosition | undefined;
  /** Called after each page applied (the position to resume from) and with undefined once the load is done. */
  readonly onPosition: (position: LoadPosition | undefined, progress: LoadProgress) => void;
}

export async function loadInPages(props: PagedLoadProps): Promise<PagedLoadResult> {
  const { store, transport, peerId, limit } = props;
  const resume = props.resumeFrom?.peerId === peerId ? props.resumeFrom : undefined;
  // A resumed load continues from the cursor the store holds on the peer: the last page applied, or an earlier one
  // when the database lost its last applies (they commit asynchronously; a crash can take the newest ones, cursor
  // included, and the next apply is refused because the cursor is not where it was left). Continuing from the
  // position in memory instead would skip the rows of the pages lost.
  const resumeAfter = resume ? await store.peerCursor(peerId) : null;
  let fence = resume?.fence ?? null;
  let incarnation = resume?.incarnation;
  // a page is parsed as soon as it arrives, while the one before it is still being written (measured: the parse
  // was ~4 µs of the joiner's ~30 µs per row, spent in line before each apply)
  const ask = (pageFence: string | null, after: Cursor | null): Promise<PageAnswer> => {
    const request: SnapshotPageRequest = {
      type: 'snapshot-page-request',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: store.schemaVersion,
      requesterNodeId: store.nodeId,
      fence: pageFence,
      after,
      limit,
    };
    return transport.snapshotPage(peerId, request).then((raw) => pageResponseSchema.safeParse(raw));
  };
  const failed = (failure: Extract<PagedLoadResult, { kind: 'failed' }>['failure'], message: string) => ({
    kind: 'failed' as const,
    failure,
    message,
  });
  const totals = { pages: 0, received: 0, applied: 0, unchanged: 0, pending: 0 };
  const conflicts: UniqueConflictRecord[] = [];
  let next = ask(fence, resumeAfter);
  for (;;) {
    let parsed: PageAnswer;
    try {
      parsed = await next;
    } catch (error) {
      if (error instanceof SnapshotPagesUnsupportedError) throw error;
      return { kind: 'unanswered', error };
    }
    if (!parsed.success)
      return failed('bad-response', `snapshot page from ${peerId} refused: ${namedIssues(parsed.error)}`);
    if (parsed.data.type === 'schema-mismatch') return failed('schema-mismatch', parsed.data.message);
    const page = parsed.data;
    if (page.sourceNodeId !== peerId)
      return failed('bad-response', `snapshot page names node ${page.sourceNodeId}, expected ${peerId}`);
    if (
      (fence !== null && page.fence !== fence) ||
      (totals.pages + (resume ? 1 : 0) > 0 && page.sourceIncarnation !== incarnation)
    ) {
      props.onPosition(undefined, { peerId, ...totals });
      return failed(
        'bad-response',
        `node ${peerId}'s database changed during the load (fence ${fence} → ${page.fence}, incarnation ` +
          `${incarnation ?? '-'} → ${page.sourceIncarnation ?? '-'}; restored or replaced?): the load starts over`,
      );
    }
    if (totals.pages === 0 && !resume && page.sourceIncarnation)
      await store.setPeerIncarnation(peerId, page.sourceIncarnation, false);
    fence = page.fence;
    incarnation = page.sourceIncarnation;
    // the next page is read there while this one is written here
    if (page.hasMore) {
      next = ask(page.fence, page.nextCursor);
      next.catch(() => undefined); // its failure is reported when awaited
    }
    const outcome = await store.applyBatch(peerId, pageAsBatch(page));
    if (!outcome.ok && outcome.waitingForUpgrade) return failed('waiting-for-upgrade', outcome.problems.join('; '));
    if (!outcome.ok)
      return failed(
        'refused',
        `snapshot page from ${peerId} refused, nothing of it applied: ${outcome.problems.join('; ')}`,
      );
    totals.pages += 1;
    totals.received += page.changes.length;
    totals.applied += outcome.applied;
    totals.unchanged += outcome.unchanged;
    totals.pending += outcome.pending;
    if (conflicts.length < MAX_CONFLICTS_KEPT)
      conflicts.push(...outcome.conflicts.slice(0, MAX_CONFLICTS_KEPT - conflicts.length));
    const position = { peerId, fence, incarnation, after: page.nextCursor };
    if (!page.hasMore) {
      props.onPosition(undefined, { peerId, ...totals });
      return { kind: 'loaded', ...totals, conflicts };
    }
    props.onPosition(position, { peerId, ...totals });
  }
}
