/** Conversions between a stored row state and its wire form. Pure. */
import type { RowChange } from './protocol';
import type { RowState } from './rowState';
import { compactVersions } from './rowState';

export function rowChangeOf(table: string, pk: string, origin: string, state: RowState): RowChange {
  const compact = compactVersions(state.versions);
  return {
    table,
    pk,
    origin,
    hlc: compact.hlc,
    ...(compact.columnHlcs ? { columnHlcs: { ...compact.columnHlcs } } : {}),
    values: { ...state.values },
    deletedHlc: state.deletedHlc,
  };
}
