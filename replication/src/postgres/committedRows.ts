/**
 * Committed rows pushed ahead of the log, with nothing taken from the NOTIFY but a hint.
 *
 * Any role that can connect may LISTEN and NOTIFY on the capture channel. So a NOTIFY is only ever a poke: its
 * payload is at most a capture position, which the capture trigger puts there when a transaction's first write is
 * a single-row INSERT. On such a hint the sync service reads, under its own role, the committed capture entry at
 * that position and the row's values from its table (one statement, one snapshot), and pushes that row to its
 * peers at once, before the fold and the read (engine/changePusher.ts); the usual push with the folded state and
 * the cursor follows. A forged hint can only make it read real, committed log entries, and those reads are
 * bounded (ROWS_AHEAD_MAX_POSITIONS positions each, one at a time, at most one per ROWS_AHEAD_READ_SPACING_MS).
 *
 * An entry qualifies when it is an INSERT and its row has no other entry, in the capture log or the change log:
 * then the table's row is exactly what that INSERT committed (a later UPDATE or DELETE of it would be a second
 * entry, folded or not), stamped with the entry's capture stamp.
 *
 * Why a peer may apply it out of the log's order: the merge only ever keeps, per column, the value of the newest
 * stamp. The fold stamps this entry at or above its capture stamp (raised to the clock floor, then above the
 * row's newest stamp), with the same values, and every later write of the row is newer still. So the early state
 * never outranks the row's true state anywhere; it only shows up first.
 */

/** Positions read per poke at most (one per writing backend whose NOTIFYs came in one read). */
export const ROWS_AHEAD_MAX_POSITIONS = 8;
/**
 * At most one read of committed rows starts per this many ms. The notify gate closes when NOTIFYs come faster
 * than one per 5 ms (notifyGate.ts), so isolated commits, the only ones that send a hint, are never held back.
 */
export const ROWS_AHEAD_READ_SPACING_MS = 5;

/** The capture position a NOTIFY payload names, or null for anything else (an empty payload, any text). */
export function notifiedPosition(payload: string): string | null {
  return /^[1-9][0-9]{0,17}$/.test(payload) ? payload : null;
}

/** Reads of committed rows, one at a time and spaced: a hint that comes meanwhile is dropped (its poke goes
 * without a row; the log's push carries it). */
export class RowsAheadReads {
  private reading = false;
  private lastStartMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly spacingMs = ROWS_AHEAD_READ_SPACING_MS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Starts `read` when allowed (else null); its rows, or none when it failed. */
  start<T>(read: () => Promise<readonly T[]>): Promise<readonly T[]> | null {
    const nowMs = this.nowMs();
    if (this.reading || nowMs - this.lastStartMs < this.spacingMs) return null;
    this.reading = true;
    this.lastStartMs = nowMs;
    return read()
      .catch(() => [])
      .finally(() => {
        this.reading = false;
      });
  }
}
