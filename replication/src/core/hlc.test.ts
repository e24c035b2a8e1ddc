import fc from 'fast-check';
import {
  HLC_LENGTH,
  MAX_FUTURE_DRIFT_MS,
  checkRemoteHlc,
  createHybridLogicalClock,
  decodeHlc,
  encodeHlc,
  hlcSuccessor,
} from './hlc';

const NODE_A = 'aaaaaaaaaaaaaaaa';
const NODE_B = 'bbbbbbbbbbbbbbbb';
const nodeIdArb = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 });
const decodedArb = fc.record({
  wallMs: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  counter: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  nodeId: nodeIdArb,
});

function compareDecoded(a: { wallMs: number; counter: number; nodeId: string }, b: typeof a): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0;
}

describe('hybrid logical clock stamps', () => {
  it('are fixed-width and round-trip through encode and decode', () => {
    fc.assert(
      fc.property(decodedArb, (decoded) => {
        const hlc = encodeHlc(decoded);
        expect(hlc).toHaveLength(HLC_LENGTH);
        expect(decodeHlc(hlc)).toEqual(decoded);
      }),
    );
  });

  it('sort as strings exactly as (wall time, counter, node id) tuples', () => {
    fc.assert(
      fc.property(decodedArb, decodedArb, (a, b) => {
        const byString = encodeHlc(a) < encodeHlc(b) ? -1 : encodeHlc(a) > encodeHlc(b) ? 1 : 0;
        expect(byString).toBe(compareDecoded(a, b));
      }),
    );
  });

  it('refuses to encode out-of-range parts, naming the part', () => {
    expect(() => encodeHlc({ wallMs: -1, counter: 0, nodeId: NODE_A })).toThrow(/wall time/);
    expect(() => encodeHlc({ wallMs: 1, counter: 2 ** 32, nodeId: NODE_A })).toThrow(/counter/);
    expect(() => encodeHlc({ wallMs: 1, counter: 0, nodeId: 'NODE' })).toThrow(/SYNC_NODE_ID/);
  });

  it('successor is the next stamp of the given node and greater than the original', () => {
    fc.assert(
      fc.property(decodedArb, nodeIdArb, (decoded, nodeId) => {
        fc.pre(decoded.wallMs < 2 ** 48 - 1);
        const hlc = encodeHlc(decoded);
        const next = hlcSuccessor(hlc, nodeId);
        expect(next > hlc).toBe(true);
        expect(decodeHlc(next).nodeId).toBe(nodeId);
      }),
    );
  });
});

describe('the clock', () => {
  it('makes strictly increasing stamps even when wall time stands still or goes back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 200 }), (times) => {
        let index = 0;
        const clock = createHybridLogicalClock({ nodeId: NODE_A, getNowMs: () => times[index++ % times.length]! });
        let previous = '';
        for (let i = 0; i < times.length; i++) {
          const stamp = clock.now();
          expect(stamp > previous).toBe(true);
          previous = stamp;
        }
      }),
    );
  });

  it('stamps after receiving a remote stamp are greater than it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 0, max: 1000 }),
        (nowMs, aheadMs, counter) => {
          const clock = createHybridLogicalClock({ nodeId: NODE_A, getNowMs: () => nowMs });
          const remote = encodeHlc({ wallMs: nowMs + aheadMs, counter, nodeId: NODE_B });
          expect(clock.receive(remote).ok).toBe(true);
          expect(clock.now() > remote).toBe(true);
        },
      ),
    );
  });

  it('uses the injected time for the wall part', () => {
    const clock = createHybridLogicalClock({ nodeId: NODE_A, getNowMs: () => 1_700_000_000_123 });
    expect(decodeHlc(clock.now())).toEqual({ wallMs: 1_700_000_000_123, counter: 0, nodeId: NODE_A });
    expect(decodeHlc(clock.now())).toEqual({ wallMs: 1_700_000_000_123, counter: 1, nodeId: NODE_A });
  });

  it('rejects invalid and overly future stamps and does not move', () => {
    const nowMs = 1_700_000_000_000;
    const clock = createHybridLogicalClock({ nodeId: NODE_A, getNowMs: () => nowMs, maxFutureDriftMs: 1000 });
    const before = clock.now();
    const farAhead = encodeHlc({ wallMs: nowMs + 1001, counter: 0, nodeId: NODE_B });
    const result = clock.receive(farAhead);
    expect(result).toMatchObject({ ok: false, reason: 'too-far-in-future', driftMs: 1001 });
    expect(!result.ok && result.message).toMatch(/bbbbbbbbbbbbbbbb is 1001 ms ahead .*limit 1000 ms/);
    expect(clock.receive('not-a-stamp')).toMatchObject({ ok: false, reason: 'malformed' });
    const after = clock.now();
    expect(decodeHlc(after).wallMs).toBe(decodeHlc(before).wallMs);
  });

  it('accepts a stamp exactly at the drift limit', () => {
    const check = checkRemoteHlc(encodeHlc({ wallMs: 5000 + MAX_FUTURE_DRIFT_MS, counter: 0, nodeId: NODE_B }), 5000);
    expect(check.ok).toBe(true);
  });
});
