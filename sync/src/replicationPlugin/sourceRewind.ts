/**
 * A source whose database was replaced (wiped node, restored backup) starts its transaction ids from a low
 * number again, so a puller's cursor from the old database lies AHEAD of everything the new one will ever write
 * for a long time: pulling from it would silently skip the new writes. Every cursor a source hands out is at or
 * below its head (the xid fence), so a cursor above the head can only come from another database: such a pull is
 * answered from the start of the log instead (the merge is idempotent, so repeating states is harmless). Pure.
 */
import { type Cursor, compareCursors } from '@msk/replication';

export function isFromAnotherDatabase(requested: Cursor | null, head: Cursor): boolean {
  return requested !== null && compareCursors(requested, head) > 0;
}

/** The pull body with its cursor (and acknowledgement) reset to the start; other fields untouched. */
export function pullFromStart<T extends { cursor: Cursor | null; acknowledged?: Cursor | null | undefined }>(
  request: T,
): T {
  return { ...request, cursor: null, acknowledged: null };
}
