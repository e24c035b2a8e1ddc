/**
 * The source's side of a paged initial load (core/snapshotPages.ts): one statement per page — the fence, the
 * entries after the position below it and their values from one snapshot — with no transaction held between
 * pages. A page ends early when its values pass MAX_SNAPSHOT_PAGE_CHARS.
 */
import type { Cursor, RowChange } from '../core/protocol';
import { PROTOCOL_VERSION, compareCursors } from '../core/protocol';
import type { SnapshotPage, SnapshotPageRead } from '../core/snapshotPages';
import { MAX_SNAPSHOT_PAGE_CHARS, changeChars } from '../core/snapshotPages';
import type { ArrayResult } from './logRows';
import type { StoreContext } from './storeContext';

/** What every answer of this source says about it (a batch's, a page's). */
export function sourceFields(context: StoreContext) {
  return {
    protocolVersion: PROTOCOL_VERSION,
    schemaVersion: context.schemaVersion,
    sourceNodeId: context.nodeId,
    sourceIncarnation: context.incarnation,
  };
}

export async function readSnapshotPage(context: StoreContext, read: SnapshotPageRead): Promise<SnapshotPage> {
  const after = read.after ?? { xid: '0', seq: '0' };
  // limit + 1: whether more lie below the fence, without a count
  const result = (await context.pool.query({
    text: context.logRows.pageBelowFenceSql,
    values: [after.xid, after.seq, read.limit + 1, read.fence],
    rowMode: 'array',
  })) as unknown as ArrayResult;
  const fields = context.logRows.fields(result);
  const at = fields.position;
  const fence = result.rows[0]![at.fence!] as string;
  const rows = result.rows.filter((row) => row[at.tbl!] !== null);
  const changes: RowChange[] = [];
  let chars = 0;
  let taken = 0;
  for (const row of rows.slice(0, read.limit)) {
    const change = context.logRows.changeOf(row, fields);
    // a live entry whose row is gone from its table: deleted since, and not folded yet — the delete's fold puts
    // its tombstone above the fence, where the pulls after the load read it
    if (change && (change.deletedHlc !== null || Object.keys(change.values).length > 0)) {
      chars += changeChars(change);
      if (chars > MAX_SNAPSHOT_PAGE_CHARS && changes.length > 0) break;
      changes.push(change);
    }
    taken += 1;
  }
  const hasMore = taken < rows.length;
  const last = rows[taken - 1];
  let nextCursor: Cursor =
    hasMore && last ? { xid: last[at.xid!] as string, seq: last[at.seq!] as string } : { xid: fence, seq: '0' };
  if (compareCursors(nextCursor, after) < 0) nextCursor = after;
  return { type: 'snapshot-page', ...sourceFields(context), changes, nextCursor, hasMore, remainingChanges: 0, fence };
}
