import fc from 'fast-check';
import { encodeHlc } from './hlc';
import type { RowState } from './rowState';
import {
  compactVersions,
  expandVersions,
  isRowAlive,
  mergeRowStates,
  rowStateOfWrite,
  rowStateWithDelete,
  rowStateWithUpdate,
  rowStatesEqual,
} from './rowState';

const COLUMNS = ['id', 'name', 'email', 'role'] as const;
const NODES = ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'cccccccccccccccc'];
/** The stamp of a write by `nodeId` at `wallMs` (counter 0). */
const stamp = (wallMs: number, nodeId: string) => encodeHlc({ wallMs, counter: 0, nodeId });
const hlcArb = fc
  .record({
    wallMs: fc.integer({ min: 1, max: 6 }),
    counter: fc.integer({ min: 0, max: 2 }),
    nodeId: fc.constantFrom(...NODES),
  })
  .map(encodeHlc);
const valueArb = fc.option(fc.constantFrom('x', 'y', 'z', ''), { nil: null });
const stateArb: fc.Arbitrary<RowState> = fc.record({
  versions: fc.record(Object.fromEntries(COLUMNS.map((c) => [c, hlcArb])) as Record<string, fc.Arbitrary<string>>),
  values: fc.record(
    Object.fromEntries(COLUMNS.map((c) => [c, valueArb])) as Record<string, fc.Arbitrary<string | null>>,
  ),
  deletedHlc: fc.option(hlcArb, { nil: null }),
});

const same = (a: RowState, b: RowState) => expect(rowStatesEqual(a, b)).toBe(true);

describe('merging row states', () => {
  it('is commutative', () => {
    fc.assert(fc.property(stateArb, stateArb, (a, b) => same(mergeRowStates(a, b), mergeRowStates(b, a))));
  });

  it('is associative', () => {
    fc.assert(
      fc.property(stateArb, stateArb, stateArb, (a, b, c) =>
        same(mergeRowStates(mergeRowStates(a, b), c), mergeRowStates(a, mergeRowStates(b, c))),
      ),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (a, b) => {
        same(mergeRowStates(a, a), a);
        const ab = mergeRowStates(a, b);
        same(mergeRowStates(ab, b), ab);
      }),
    );
  });

  it('gives the same state for any order or duplication of a stream of states', () => {
    fc.assert(
      fc.property(
        fc.array(stateArb, { minLength: 1, maxLength: 12 }).chain((states) =>
          fc.tuple(
            fc.constant(states),
            fc.shuffledSubarray([...states, ...states, ...states], {
              minLength: 3 * states.length,
              maxLength: 3 * states.length,
            }),
          ),
        ),
        ([stream, reorderedWithDuplicates]) => {
          const fold = (list: RowState[]) => list.slice(1).reduce(mergeRowStates, list[0]!);
          same(fold(reorderedWithDuplicates), fold(stream));
        },
      ),
    );
  });

  it('keeps concurrent edits of different columns of one row', () => {
    const created = rowStateOfWrite({ id: 'r', name: 'old', email: 'old@x' }, stamp(1, NODES[0]!));
    const onA = rowStateWithUpdate(created, { name: 'A' }, stamp(2, NODES[0]!));
    const onB = rowStateWithUpdate(created, { email: 'b@x' }, stamp(2, NODES[1]!));
    expect(mergeRowStates(onA, onB).values).toEqual({ id: 'r', name: 'A', email: 'b@x' });
  });

  it('lets the later writer win an edit of the same column, ties broken by node id', () => {
    const created = rowStateOfWrite({ id: 'r', name: 'old' }, stamp(1, NODES[0]!));
    const byA = rowStateWithUpdate(created, { name: 'A' }, stamp(2, NODES[0]!));
    const byB = rowStateWithUpdate(created, { name: 'B' }, stamp(2, NODES[1]!));
    expect(mergeRowStates(byA, byB).values.name).toBe('B');
    const laterA = rowStateWithUpdate(created, { name: 'A2' }, stamp(3, NODES[0]!));
    expect(mergeRowStates(byB, laterA).values.name).toBe('A2');
  });

  it('a delete newer than the update wins', () => {
    const created = rowStateOfWrite({ id: 'r', name: 'old' }, stamp(1, NODES[0]!));
    const updated = rowStateWithUpdate(created, { name: 'new' }, stamp(2, NODES[1]!));
    const deleted = rowStateWithDelete(created, stamp(3, NODES[0]!));
    expect(isRowAlive(mergeRowStates(updated, deleted))).toBe(false);
    expect(isRowAlive(mergeRowStates(deleted, updated))).toBe(false);
  });

  it('an update newer than the delete resurrects the whole row', () => {
    const created = rowStateOfWrite({ id: 'r', name: 'old', email: 'e@x' }, stamp(1, NODES[0]!));
    const deleted = rowStateWithDelete(created, stamp(2, NODES[0]!));
    const updated = rowStateWithUpdate(created, { name: 'new' }, stamp(3, NODES[1]!));
    const merged = mergeRowStates(deleted, updated);
    expect(isRowAlive(merged)).toBe(true);
    expect(merged.values).toEqual({ id: 'r', name: 'new', email: 'e@x' });
  });

  it('a late, older update does not resurrect a deleted row', () => {
    const created = rowStateOfWrite({ id: 'r', name: 'old' }, stamp(1, NODES[0]!));
    const updated = rowStateWithUpdate(created, { name: 'late' }, stamp(2, NODES[1]!));
    const deleted = rowStateWithDelete(created, stamp(5, NODES[0]!));
    expect(isRowAlive(mergeRowStates(deleted, updated))).toBe(false);
  });
});

describe('compact versions', () => {
  it('round-trip to the same per-column versions', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        expect(expandVersions([...COLUMNS], compactVersions(state.versions))).toEqual(state.versions);
      }),
    );
  });

  it('carry no per-column stamps for a row written at once', () => {
    const hlc = stamp(1, NODES[0]!);
    expect(compactVersions({ id: hlc, name: hlc })).toEqual({ hlc });
  });
});
