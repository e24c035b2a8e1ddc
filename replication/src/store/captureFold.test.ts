import { decodeHlc, encodeHlc } from '../core/hlc';
import type { StoredState } from './captureFold';
import { foldCaptured } from './captureFold';

const SELF = 'aaaaaaaaaaaaaaaa';
const PEER = 'ffffffffffffffff';
const at = (wallMs: number, nodeId = SELF, counter = 0) => encodeHlc({ wallMs, counter, nodeId });

describe('folding captured local writes', () => {
  it('an insert stamps every column at once', () => {
    expect(foldCaptured(null, [{ op: 'I', hlc: at(5), changed: null, stash: null }], SELF)).toEqual({
      hlc: at(5),
      columnHlcs: null,
      deletedHlc: null,
      maxHlc: at(5),
      stash: null,
      pendingParent: null,
    });
  });

  it('an update stamps only the columns it changed', () => {
    const state = foldCaptured(
      null,
      [
        { op: 'I', hlc: at(5), changed: null, stash: null },
        { op: 'U', hlc: at(6), changed: ['name'], stash: null },
      ],
      SELF,
    );
    expect(state).toMatchObject({ hlc: at(5), columnHlcs: { name: at(6) }, maxHlc: at(6) });
  });

  it("a local write after a peer's stamp from the future gets a newer stamp than it", () => {
    const fromPeer: StoredState = {
      hlc: at(9_000, PEER),
      columnHlcs: null,
      deletedHlc: null,
      maxHlc: at(9_000, PEER),
      stash: null,
      pendingParent: null,
    };
    const state = foldCaptured(fromPeer, [{ op: 'U', hlc: at(100), changed: ['name'], stash: null }], SELF);
    expect(state.columnHlcs!.name! > at(9_000, PEER)).toBe(true);
    expect(decodeHlc(state.columnHlcs!.name!).nodeId).toBe(SELF);
  });

  it('a local stamp never falls below the newest wall time seen from peers', () => {
    const state = foldCaptured(null, [{ op: 'I', hlc: at(100, SELF, 7), changed: null, stash: null }], SELF, 5_000);
    expect(decodeHlc(state.hlc)).toEqual({ wallMs: 5_000, counter: 7, nodeId: SELF });
  });

  it("a delete keeps the row's values and is newer than everything in it", () => {
    const state = foldCaptured(
      null,
      [
        { op: 'I', hlc: at(5), changed: null, stash: null },
        { op: 'D', hlc: at(5), changed: null, stash: { id: 'x', name: 'gone' } },
      ],
      SELF,
    );
    expect(state.deletedHlc! > state.hlc).toBe(true);
    expect(state.stash).toEqual({ id: 'x', name: 'gone' });
  });

  it('a delete of a row never seen before still leaves a tombstone', () => {
    const state = foldCaptured(null, [{ op: 'D', hlc: at(5), changed: null, stash: { id: 'x' } }], SELF);
    expect(state.deletedHlc! > state.hlc).toBe(true);
  });

  it('a re-insert after a delete brings the row back', () => {
    const state = foldCaptured(
      null,
      [
        { op: 'I', hlc: at(5), changed: null, stash: null },
        { op: 'D', hlc: at(6), changed: null, stash: { id: 'x' } },
        { op: 'I', hlc: at(7), changed: null, stash: null },
      ],
      SELF,
    );
    expect(state.hlc > state.deletedHlc!).toBe(true);
    expect(state.stash).toBeNull();
  });
});
