/**
 * Rows a peer sent ahead of its log (a committed row pushed at once, postgres/committedRows.ts): applied while our cursor on
 * that peer stayed put, so the peer's next batch carries them again. That batch must not take the fresh-row path
 * (the insert would fail on the row already here, and PostgreSQL would log the error); the merge finds it unchanged.
 */

/** Rows remembered per peer; the oldest go first (a batch that never came leaves its rows to age out). */
const MAX_ROWS_PER_PEER = 1024;

export class RowsAheadOfCursor {
  private readonly byPeer = new Map<string, Set<string>>();

  /** `rows` were applied from `peerId` without moving our cursor on it. */
  note(peerId: string, rows: readonly { readonly table: string; readonly pk: string }[]): void {
    let keys = this.byPeer.get(peerId);
    if (!keys) this.byPeer.set(peerId, (keys = new Set()));
    for (const row of rows) {
      keys.add(keyOf(row));
      if (keys.size > MAX_ROWS_PER_PEER) keys.delete(keys.values().next().value!);
    }
  }

  /** Whether any of `rows` from `peerId` was applied ahead; forgets those that were. */
  seenAgain(peerId: string, rows: readonly { readonly table: string; readonly pk: string }[]): boolean {
    const keys = this.byPeer.get(peerId);
    if (!keys || keys.size === 0) return false;
    let seen = false;
    for (const row of rows) seen = keys.delete(keyOf(row)) || seen;
    return seen;
  }
}

const keyOf = (row: { readonly table: string; readonly pk: string }) => `${row.table}\u0000${row.pk}`;
