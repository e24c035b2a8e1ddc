/**
 * Deterministic resolution of unique-constraint conflicts between rows with different primary keys (two nodes
 * create a user with the same email while apart). Pure.
 *
 * Rule: among live rows that claim the same unique value, the row that claimed it FIRST keeps it — the one whose
 * key columns carry the lowest stamp (ties, impossible between distinct writes, fall to the lower primary key).
 * Every other row is renamed: its rename column becomes `<value>#conflict-<last 12 hex of its id>` at the stamp
 * `hlcSuccessor(its key stamp)`, which beats the stamp of the contested value on every node. All inputs are part
 * of the replicated state, so every node computes the same winner, the same new value and the same stamp, and the
 * renamed row converges without further traffic. The renamed row keeps working data; for a user it means the
 * loser can no longer log in with that email until an admin changes it (the conflicts table says who and why).
 */
import type { Hlc } from './hlc';
import { hlcNodeId, hlcSuccessor } from './hlc';
import type { RowState } from './rowState';
import type { UniqueKey } from './tableSchema';

export const CONFLICT_SUFFIX = '#conflict-';

export interface UniqueCandidate {
  readonly pk: string;
  readonly state: RowState;
}

export interface UniqueConflictResolution {
  readonly constraint: string;
  /** The contested value (key columns joined with U+001F when there are several). */
  readonly value: string;
  readonly winnerPk: string;
  readonly loserPk: string;
  readonly renamedColumn: string;
  readonly renamedTo: string;
  readonly renamedAtHlc: Hlc;
  /** The loser's state after the rename. */
  readonly loserState: RowState;
}

export function conflictRenameOf(value: string, pk: string): string {
  return `${value}${CONFLICT_SUFFIX}${pk.replace(/-/g, '').slice(-12)}`;
}

function keyOf(state: RowState, key: UniqueKey): string | null {
  const parts: string[] = [];
  for (const column of key.columns) {
    const value = state.values[column];
    if (value === null || value === undefined) return null; // NULLs never conflict in SQL unique constraints
    parts.push(value);
  }
  return parts.join('\u001f');
}

function keyHlcOf(state: RowState, key: UniqueKey): Hlc {
  let newest = '';
  for (const column of key.columns) {
    const hlc = state.versions[column] ?? '';
    if (hlc > newest) newest = hlc;
  }
  return newest;
}

/** Who keeps the value: lower key stamp first, then lower primary key. */
export function compareClaims(a: UniqueCandidate, b: UniqueCandidate, key: UniqueKey): number {
  const hlcA = keyHlcOf(a.state, key);
  const hlcB = keyHlcOf(b.state, key);
  if (hlcA !== hlcB) return hlcA < hlcB ? -1 : 1;
  return a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0;
}

/**
 * Finds every group of live candidates sharing a value of `key` and returns the renames that make them unique.
 * Candidates must be the rows that would be live together (existing rows plus incoming ones, each pk once).
 */
export function resolveUniqueConflicts(
  candidates: readonly UniqueCandidate[],
  key: UniqueKey,
): UniqueConflictResolution[] {
  const groups = new Map<string, UniqueCandidate[]>();
  for (const candidate of candidates) {
    const value = keyOf(candidate.state, key);
    if (value === null) continue;
    const group = groups.get(value);
    if (group) group.push(candidate);
    else groups.set(value, [candidate]);
  }
  const resolutions: UniqueConflictResolution[] = [];
  for (const [value, group] of groups) {
    if (group.length < 2) continue;
    const sorted = [...group].sort((a, b) => compareClaims(a, b, key));
    const winner = sorted[0]!;
    for (const loser of sorted.slice(1)) {
      const keyHlc = keyHlcOf(loser.state, key);
      const current = loser.state.values[key.renameColumn] ?? '';
      const renamedTo = conflictRenameOf(current, loser.pk);
      const renamedAtHlc = hlcSuccessor(keyHlc, hlcNodeId(keyHlc));
      resolutions.push({
        constraint: key.name,
        value,
        winnerPk: winner.pk,
        loserPk: loser.pk,
        renamedColumn: key.renameColumn,
        renamedTo,
        renamedAtHlc,
        loserState: {
          versions: { ...loser.state.versions, [key.renameColumn]: renamedAtHlc },
          values: { ...loser.state.values, [key.renameColumn]: renamedTo },
          deletedHlc: loser.state.deletedHlc,
        },
      });
    }
  }
  return resolutions;
}
