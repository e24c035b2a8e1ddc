/**
 * Folding captured local writes into a row's stored replicated state. Pure.
 *
 * The PostgreSQL capture trigger only appends (op, stamp, changed columns) to msk_sync.capture_log — cheap for the
 * application's transaction. The sync service folds those entries, in the order they were written (their log
 * sequence: writes to one row are serialized by its row lock, so sequence order is write order), into the
 * row's state in msk_sync.change_log. Here the per-row clock guard is applied: a local write always gets a stamp
 * newer than every stamp already in the row (the row's own HLC receive), so a write made after seeing a peer's
 * change beats it even if that peer's clock runs ahead.
 */
import type { Hlc } from '../core/hlc';
import { decodeHlc, encodeHlc, hlcSuccessor } from '../core/hlc';
import type { ColumnValue } from '../core/rowState';

export type CaptureOp = 'I' | 'U' | 'D';

export interface CaptureEntry {
  readonly op: CaptureOp;
  readonly hlc: Hlc;
  /** U: the columns whose value changed. */
  readonly changed: readonly string[] | null;
  /** D: the row's values when it was deleted. */
  readonly stash: Readonly<Record<string, ColumnValue>> | null;
}

/** A row's state as stored in msk_sync.change_log (compact versions). */
export interface StoredState {
  readonly hlc: Hlc;
  readonly columnHlcs: Readonly<Record<string, Hlc>> | null;
  readonly deletedHlc: Hlc | null;
  /** Newest stamp anywhere in the state. */
  readonly maxHlc: Hlc;
  /** Values while the row is not in its table (deleted or pending). */
  readonly stash: Readonly<Record<string, ColumnValue>> | null;
  readonly pendingParent: string | null;
}

/** `candidate` if it is newer than `floor`, else the smallest stamp of `nodeId` above `floor`. */
export function stampAfter(candidate: Hlc, floor: Hlc | null, nodeId: string): Hlc {
  return floor === null || candidate > floor ? candidate : hlcSuccessor(floor, nodeId);
}

/**
 * The node clock's receive rule: a local stamp never has a wall time below the newest wall time seen in a
 * peer's stamp (`floorMs`, kept in msk_sync.node), so a peer with a fast clock pulls this node's clock along.
 */
export function raiseToFloor(hlc: Hlc, floorMs: number): Hlc {
  const decoded = decodeHlc(hlc);
  return decoded.wallMs >= floorMs ? hlc : encodeHlc({ ...decoded, wallMs: floorMs });
}

export function foldCaptured(
  previous: StoredState | null,
  entries: readonly CaptureEntry[],
  nodeId: string,
  floorMs = 0,
): StoredState {
  let state = previous;
  for (const entry of entries) {
    const stamp = stampAfter(raiseToFloor(entry.hlc, floorMs), state?.maxHlc ?? null, nodeId);
    if (entry.op === 'I' || state === null) {
      // a fresh row (or one written while capture was off): every column at this stamp
      state = {
        hlc: stamp,
        columnHlcs: null,
        deletedHlc: state?.deletedHlc ?? null,
        maxHlc: stamp,
        stash: null,
        pendingParent: null,
      };
      if (entry.op !== 'D') continue;
    }
    if (entry.op === 'U') {
      const columnHlcs: Record<string, Hlc> = { ...(state.columnHlcs ?? {}) };
      for (const column of entry.changed ?? []) columnHlcs[column] = stamp;
      state = { ...state, columnHlcs, maxHlc: stamp, stash: null, pendingParent: null };
    } else {
      const deletedHlc = stamp > state.maxHlc ? stamp : hlcSuccessor(state.maxHlc, nodeId);
      state = { ...state, deletedHlc, maxHlc: deletedHlc, stash: entry.stash, pendingParent: null };
    }
  }
  if (state === null) throw new RangeError('nothing to fold');
  return state;
}
