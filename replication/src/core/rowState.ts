/**
 * The replicated state of one row and its merge: a state-based CRDT.
 *
 * - Every column is a last-writer-wins register: (value, hlc). The higher stamp wins; stamps embed the node id, so
 *   they never tie between nodes. Concurrent edits of DIFFERENT columns therefore both survive.
 * - A delete is a tombstone stamp (`deletedHlc`, a max-register). The row is alive iff some column was written
 *   after the newest delete; so a late update can't resurrect a deleted row unless it is newer than the delete.
 *   The column values stay in the state while the row is dead, so a newer update resurrects a complete row.
 *
 * Merge is the pointwise maximum, hence commutative, associative and idempotent: any order or duplication of a
 * stream of states gives the same result (property-tested in rowState.test.ts).
 *
 * Values are PostgreSQL's canonical text form of each column (or null): lossless for every type and comparable.
 */
import type { Hlc } from './hlc';
import { maxHlc } from './hlc';

export type ColumnValue = string | null;

export interface RowState {
  /** Per column: the stamp of the write that set its current value. */
  readonly versions: Readonly<Record<string, Hlc>>;
  readonly values: Readonly<Record<string, ColumnValue>>;
  /** Newest delete seen for this row, if any. */
  readonly deletedHlc: Hlc | null;
}

export function newestColumnHlc(state: RowState): Hlc | null {
  let newest: Hlc | null = null;
  for (const hlc of Object.values(state.versions)) if (newest === null || hlc > newest) newest = hlc;
  return newest;
}

/** Newest stamp anywhere in the state (columns and tombstone). */
export function newestHlc(state: RowState): Hlc | null {
  return maxHlc(newestColumnHlc(state), state.deletedHlc);
}

export function isRowAlive(state: RowState): boolean {
  const newest = newestColumnHlc(state);
  return newest !== null && (state.deletedHlc === null || newest > state.deletedHlc);
}

/**
 * Register order for one column: higher stamp wins; an equal stamp with a different value (only possible if a
 * node reused a stamp) falls back to the value so the merge stays deterministic: null < any text, then text order.
 */
function columnBeats(hlcA: Hlc, valueA: ColumnValue, hlcB: Hlc, valueB: ColumnValue): boolean {
  if (hlcA !== hlcB) return hlcA > hlcB;
  if (valueA === valueB) return false;
  if (valueA === null) return false;
  if (valueB === null) return true;
  return valueA > valueB;
}

export function mergeRowStates(a: RowState, b: RowState): RowState {
  const versions: Record<string, Hlc> = { ...a.versions };
  const values: Record<string, ColumnValue> = { ...a.values };
  for (const [column, hlcB] of Object.entries(b.versions)) {
    const valueB = b.values[column] ?? null;
    const hlcA = versions[column];
    if (hlcA === undefined || columnBeats(hlcB, valueB, hlcA, values[column] ?? null)) {
      versions[column] = hlcB;
      values[column] = valueB;
    }
  }
  return { versions, values, deletedHlc: maxHlc(a.deletedHlc, b.deletedHlc) };
}

export function rowStatesEqual(a: RowState, b: RowState): boolean {
  if (a.deletedHlc !== b.deletedHlc) return false;
  const columnsA = Object.keys(a.versions);
  if (columnsA.length !== Object.keys(b.versions).length) return false;
  for (const column of columnsA) {
    if (a.versions[column] !== b.versions[column]) return false;
    if ((a.values[column] ?? null) !== (b.values[column] ?? null)) return false;
  }
  return true;
}

/** A fresh row written at `hlc` with every given column. */
export function rowStateOfWrite(values: Readonly<Record<string, ColumnValue>>, hlc: Hlc): RowState {
  const versions: Record<string, Hlc> = {};
  for (const column of Object.keys(values)) versions[column] = hlc;
  return { versions, values: { ...values }, deletedHlc: null };
}

/** `state` after a local update of some columns at `hlc` (which must be newer than every stamp in the state). */
export function rowStateWithUpdate(
  state: RowState,
  changed: Readonly<Record<string, ColumnValue>>,
  hlc: Hlc,
): RowState {
  const versions: Record<string, Hlc> = { ...state.versions };
  const values: Record<string, ColumnValue> = { ...state.values };
  for (const [column, value] of Object.entries(changed)) {
    versions[column] = hlc;
    values[column] = value;
  }
  return { versions, values, deletedHlc: state.deletedHlc };
}

export function rowStateWithDelete(state: RowState, hlc: Hlc): RowState {
  return { ...state, deletedHlc: maxHlc(state.deletedHlc, hlc) };
}

/**
 * Compact form used on the wire and in the PostgreSQL version map: one base stamp plus the columns whose stamp
 * differs from it (inserts, the common case, carry no per-column stamps at all).
 */
export interface CompactVersions {
  readonly hlc: Hlc;
  readonly columnHlcs?: Readonly<Record<string, Hlc>>;
}

export function compactVersions(versions: Readonly<Record<string, Hlc>>): CompactVersions {
  const counts = new Map<Hlc, number>();
  for (const hlc of Object.values(versions)) counts.set(hlc, (counts.get(hlc) ?? 0) + 1);
  let base: Hlc | undefined;
  let baseCount = 0;
  for (const [hlc, count] of counts) {
    if (count > baseCount || (count === baseCount && base !== undefined && hlc < base)) {
      base = hlc;
      baseCount = count;
    }
  }
  if (base === undefined) throw new RangeError('a row state needs at least one column version');
  const columnHlcs: Record<string, Hlc> = {};
  let overrides = 0;
  for (const [column, hlc] of Object.entries(versions)) {
    if (hlc !== base) {
      columnHlcs[column] = hlc;
      overrides += 1;
    }
  }
  return overrides === 0 ? { hlc: base } : { hlc: base, columnHlcs };
}

export function expandVersions(columns: readonly string[], compact: CompactVersions): Record<string, Hlc> {
  const versions: Record<string, Hlc> = {};
  for (const column of columns) versions[column] = compact.columnHlcs?.[column] ?? compact.hlc;
  return versions;
}
