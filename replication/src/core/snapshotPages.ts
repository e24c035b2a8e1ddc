/**
 * The initial load of a new or wiped node, in pages (pure: messages, their validation, the page cut).
 *
 * The first page request carries no fence: the source takes its xid fence F (pg_snapshot_xmin: every transaction
 * below it has ended) and answers with the first entries of its change log below F, in (xid, seq) order; every
 * later request names F and the position after the last entry it applied. Entries below F are stable or move:
 * a row written after F was taken gets a new position at or above F (its writer's xid), so a page never misses a
 * row — it either reads its entry below F or the row has moved to where the pulls that follow the load start.
 * Each page is applied like a pulled batch (our cursor on the source moves to the page's end, compare and set,
 * in the transaction that applies it); the last page's cursor is F itself, seq 0: the pulls after it read
 * exactly the entries at or above F. So no page holds a transaction open on the source, a load has no size cap,
 * and an interrupted load resumes from the last page applied (or, after a restart, by plain pulls from there).
 */
import { z } from 'zod';
import { NODE_ID_PATTERN } from './hlc';
import type { ChangeBatch, RowChange } from './protocol';
import { MAX_BATCH_CHANGES, PROTOCOL_VERSION, changeBatchSchema, cursorSchema } from './protocol';

/** Row states per page a joining node asks for (tests ask for fewer). */
export const DEFAULT_SNAPSHOT_PAGE_CHANGES = 5_000;
/** A source ends a page before its values pass this many characters (the answer stays far below the channel's
 * response limit, and the joiner's memory holds at most two pages). */
export const MAX_SNAPSHOT_PAGE_CHARS = 16 * 1024 * 1024;

const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,19})$/;

export const snapshotPageRequestSchema = z.object({
  type: z.literal('snapshot-page-request'),
  protocolVersion: z.literal(PROTOCOL_VERSION),
  schemaVersion: z.string().min(1).max(64),
  requesterNodeId: z.string().regex(NODE_ID_PATTERN, 'must be a node id: 16 lowercase hex characters'),
  /** The fence of the first page's answer (null: this is the first page). */
  fence: z.string().regex(DECIMAL_PATTERN, 'must be a decimal transaction id').nullable(),
  /** The position after the last entry applied (null: from the start of the log). */
  after: cursorSchema.nullable(),
  limit: z.number().int().min(1).max(MAX_BATCH_CHANGES),
});
export type SnapshotPageRequest = z.infer<typeof snapshotPageRequestSchema>;

/** A page: a batch (applied as one, nextCursor included) below `fence`; hasMore false on the last one. */
export const snapshotPageSchema = changeBatchSchema.extend({
  type: z.literal('snapshot-page'),
  fence: z.string().regex(DECIMAL_PATTERN, 'must be a decimal transaction id'),
});
export type SnapshotPage = z.infer<typeof snapshotPageSchema>;

/** What the engine asks a store for: entries after `after` below `fence` (null: the store's own fence now). */
export interface SnapshotPageRead {
  readonly fence: string | null;
  readonly after: ChangeBatch['nextCursor'] | null;
  readonly limit: number;
}

/** The page as the batch it is applied as. */
export function pageAsBatch(page: SnapshotPage): ChangeBatch {
  const { fence: _fence, ...batch } = page;
  return { ...batch, type: 'batch' };
}

/** Characters a change's values take (what its JSON is mostly made of). */
export function changeChars(change: RowChange): number {
  let chars = 64;
  for (const value of Object.values(change.values)) chars += (value?.length ?? 4) + 24;
  return chars;
}
