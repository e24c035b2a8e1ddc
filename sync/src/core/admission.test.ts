import { type AdmissionInput, decideAdmission } from './admission';
import type { NodeIdentity } from './handshake';

const identity = (id: string, instance: string, startedAt = 1_000, name = `node-${instance}`): NodeIdentity => ({
  id,
  name,
  instanceId: instance.repeat(32).slice(0, 32),
  startedAt,
  port: 8765,
});
const me = identity('aaaaaaaaaaaaaaaa', '1', 1_000, 'me');
const base = (candidate: NodeIdentity, address: string, overrides: Partial<AdmissionInput> = {}): AdmissionInput => ({
  self: { identity: me, address: '10.0.0.1:8765' },
  candidate: { identity: candidate, address },
  existing: undefined,
  nowMs: 10_000,
  liveWithinMs: 6_000,
  clockSkewMs: 0,
  maxClockSkewMs: 10_000,
  ...overrides,
});

/** The record of peer bbbb… (instance 2) at 10.0.0.2, connected and last seen at `lastSeenAt`. */
const knownPeer = (lastSeenAt: number) => ({
  identity: identity('bbbbbbbbbbbbbbbb', '2'),
  address: '10.0.0.2:8765',
  connected: true,
  lastSeenAt,
});

describe('decideAdmission', () => {
  it('accepts a new node', () => {
    expect(decideAdmission(base(identity('bbbbbbbbbbbbbbbb', '2'), '10.0.0.2:8765'))).toEqual({ action: 'accept' });
  });

  it("refuses a node with this node's own ID, naming both addresses, and says which one started later", () => {
    const later = decideAdmission(base(identity(me.id, '3', 2_000), '10.0.0.3:8765'));
    expect(later).toMatchObject({
      action: 'refuse',
      refusal: { reason: 'duplicate-node-id' },
      thisNodeIsSecond: false,
    });
    expect(later.action === 'refuse' && later.refusal.message).toMatch(/10\.0\.0\.1:8765.*10\.0\.0\.3:8765/);
    expect(decideAdmission(base(identity(me.id, '3', 500), '10.0.0.3:8765'))).toMatchObject({ thisNodeIsSecond: true });
  });

  it('refuses a newcomer claiming the ID of a live peer at another address, naming both addresses', () => {
    const existing = knownPeer(9_000);
    const decision = decideAdmission(base(identity('bbbbbbbbbbbbbbbb', '4'), '10.0.0.4:8765', { existing }));
    expect(decision).toMatchObject({ action: 'refuse', refusal: { reason: 'duplicate-node-id' } });
    expect(decision.action === 'refuse' && decision.refusal.message).toMatch(
      /already used by node-2 at 10\.0\.0\.2:8765; refused node-4 at 10\.0\.0\.4:8765/,
    );
  });

  it.each([
    ['a peer that restarted at the same address', 9_000, '10.0.0.2:8765'],
    ['a peer that moved when its old record is no longer live', 1_000, '10.0.0.9:8765'],
  ])('replaces %s', (_what, lastSeenAt, address) => {
    const existing = knownPeer(lastSeenAt);
    expect(decideAdmission(base(identity('bbbbbbbbbbbbbbbb', '5'), address, { existing }))).toEqual({
      action: 'replace',
    });
  });

  it('accepts another session with the same running node', () => {
    const same = identity('bbbbbbbbbbbbbbbb', '2');
    const existing = { identity: same, address: '10.0.0.2:8765', connected: true, lastSeenAt: 9_000 };
    expect(decideAdmission(base(same, '10.0.0.2:8765', { existing }))).toEqual({ action: 'accept' });
  });

  it('refuses a peer whose clock is too far off', () => {
    const decision = decideAdmission(
      base(identity('bbbbbbbbbbbbbbbb', '2'), '10.0.0.2:8765', { clockSkewMs: -12_000 }),
    );
    expect(decision).toMatchObject({ action: 'refuse', refusal: { reason: 'clock-skew' } });
    expect(decision.action === 'refuse' && decision.refusal.message).toMatch(
      /-12000 ms .*SYNC_MAX_CLOCK_SKEW_MS is 10000/,
    );
  });
});
