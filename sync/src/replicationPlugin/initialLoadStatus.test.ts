import { initialLoadStatus } from './initialLoadStatus';
import type { InitialLoadView } from './loadingReplicator';

const SOURCE = { id: 'aaaaaaaaaaaaaaaa', name: 'server-1' };
const OTHER = { id: 'bbbbbbbbbbbbbbbb', name: 'server-3' };
const view = (overrides: Partial<InitialLoadView>): InitialLoadView => ({
  phase: 'none',
  sourcePeerId: null,
  fence: null,
  pages: 0,
  rowsReceived: 0,
  rowsApplied: 0,
  startedAtMs: null,
  ...overrides,
});
const NOW = Date.parse('2030-01-01T00:01:00.000Z');

describe('the initial load in the status document', () => {
  it('is null before replication opened its store', () => {
    expect(initialLoadStatus(undefined, [SOURCE], NOW)).toBeNull();
  });

  it('is loading while a load runs, with the source named and the progress', () => {
    const status = initialLoadStatus(
      view({
        phase: 'loading',
        sourcePeerId: SOURCE.id,
        fence: '812',
        pages: 2,
        rowsReceived: 10_000,
        rowsApplied: 9_000,
        startedAtMs: NOW - 60_000,
      }),
      [SOURCE],
      NOW,
    );
    expect(status).toEqual({
      loading: true,
      phase: 'loading',
      source: SOURCE,
      fence: '812',
      pages: 2,
      rowsReceived: 10_000,
      rowsApplied: 9_000,
      startedAt: '2030-01-01T00:00:00.000Z',
      connectedPeers: 1,
      heldData: false,
      refusal: null,
    });
  });

  it('is loading while a load is due only when a peer is connected to load from', () => {
    expect(initialLoadStatus(view({ phase: 'due' }), [SOURCE], NOW)?.loading).toBe(true);
    // the first node of a fresh cluster, a one-node deployment
    expect(initialLoadStatus(view({ phase: 'due' }), [], NOW)?.loading).toBe(false);
  });

  it('is not loading once a peer refused the load of a node that held rows of its own; loading otherwise', () => {
    const refusal = 'schema-mismatch: the peer runs schema version 7';
    // a node that served alone meeting a first peer that cannot serve it: it serves its own rows
    expect(initialLoadStatus(view({ phase: 'due', heldData: true, refusal }), [SOURCE], NOW)).toMatchObject({
      loading: false,
      heldData: true,
      refusal,
    });
    const retrying = view({ phase: 'loading', sourcePeerId: SOURCE.id, heldData: true, refusal });
    expect(initialLoadStatus(retrying, [SOURCE], NOW)?.loading).toBe(false);
    // it waits for a load like any node until a refusal
    expect(initialLoadStatus(view({ phase: 'due', heldData: true }), [SOURCE], NOW)?.loading).toBe(true);
    // a node that held nothing has nothing to serve: refused or not, it stays unready
    expect(initialLoadStatus(view({ phase: 'due', refusal }), [SOURCE], NOW)?.loading).toBe(true);
  });

  it('is loading after a restart in the middle of a load only while its source is connected', () => {
    const catchingUp = view({ phase: 'catching-up', sourcePeerId: SOURCE.id, fence: '812', startedAtMs: NOW });
    expect(initialLoadStatus(catchingUp, [OTHER, SOURCE], NOW)).toMatchObject({ loading: true, source: SOURCE });
    expect(initialLoadStatus(catchingUp, [OTHER], NOW)).toMatchObject({
      loading: false,
      source: { id: SOURCE.id, name: null },
    });
  });

  it('is not loading during a forced reload of a node that holds the data, nor after the load', () => {
    expect(initialLoadStatus(view({ phase: 'reloading', sourcePeerId: SOURCE.id }), [SOURCE], NOW)?.loading).toBe(
      false,
    );
    expect(initialLoadStatus(view({ phase: 'none' }), [SOURCE], NOW)?.loading).toBe(false);
  });
});
