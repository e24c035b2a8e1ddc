/**
 * The row a capture NOTIFY carries. The first single-row INSERT of a transaction, while the notify gate is open,
 * puts its row in the payload: table, key, capture stamp and values in the read's canonical text (captureFunctionSql).
 * The sync service pushes it to its peers at once, ahead of the fold and the read; the usual push with the folded
 * state and the cursor follows. Pure.
 *
 * Why a peer may apply it out of the log's order: the merge only ever keeps, per column, the value of the newest
 * stamp. The fold stamps this entry at or above its capture stamp (raised to the clock floor, then above the
 * row's newest stamp), with the same values, and every later write of the row is newer still. So the notified
 * state never outranks the row's true state anywhere; it only shows up first.
 */
import type { RowChange } from '../core/protocol';
import { rowChangeSchema } from '../core/protocol';

/** The payload's shape (short keys: it must stay under 8000 bytes). */
interface NotifiedRowPayload {
  readonly t: string;
  readonly k: string;
  readonly h: string;
  readonly v: Record<string, string | null>;
}

/** The change a NOTIFY payload carries, or null: an empty payload, or one this store does not replicate. */
export function notifiedRowChange(payload: string, nodeId: string, tables: ReadonlyMap<string, unknown>): RowChange | null {
  if (payload === '') return null;
  let parsed: Partial<NotifiedRowPayload>;
  try {
    parsed = JSON.parse(payload) as Partial<NotifiedRowPayload>;
  } catch {
    return null;
  }
  const change = rowChangeSchema.safeParse({ table: parsed.t, pk: parsed.k, origin: nodeId, hlc: parsed.h, values: parsed.v, deletedHlc: null });
  return change.success && tables.has(change.data.table) ? change.data : null;
}
