import type { ConfigFingerprints } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import { testRegistry } from '../testing/peerRegistryFixture';
import type { PeerRegistry, RegistryEvent } from './peerRegistry';

const config: ConfigFingerprints = { fingerprints: {}, previousSessionSecrets: [], publicValues: {} };
const identity = (id: string, instance = '1', startedAt = 1_000): NodeIdentity => ({
  id,
  name: `node-${id.slice(0, 2)}`,
  instanceId: instance.repeat(32),
  startedAt,
  port: 8765,
});
const self = identity('aaaaaaaaaaaaaaaa');
const registry = () => testRegistry(self);
const admit = (r: PeerRegistry, node: NodeIdentity, address: string, nowMs = 0, inbound = false) =>
  r.admit({ identity: node, address, config, clockSkewMs: 0, nowMs, inbound });

type RefusalInput = Parameters<PeerRegistry['recordRefusal']>[0];
/** A refusal at `address` for recordRefusal, at time 0 on an inbound connection unless `extra` says otherwise. */
const refusalAt = (
  address: string,
  refusal: RefusalInput['refusal'],
  side: RefusalInput['side'],
  extra: Partial<RefusalInput> = {},
): RefusalInput => ({ address, refusal, side, nowMs: 0, outbound: false, ...extra });

describe('PeerRegistry', () => {
  it('keeps the addresses each discovery source proposes and drops them when the source stops proposing them', () => {
    const r = registry();
    expect(r.setDiscovered('static', [{ address: '10.0.0.2:8765' }, { address: '10.0.0.3:8765' }], 0)).toEqual([
      '10.0.0.2:8765',
      '10.0.0.3:8765',
    ]);
    r.setDiscovered('dns', [{ address: '10.0.0.3:8765' }], 0);
    r.setDiscovered('static', [{ address: '10.0.0.2:8765' }], 0);
    expect([...r.candidates.keys()].sort()).toEqual(['10.0.0.2:8765', '10.0.0.3:8765']);
    expect([...(r.candidates.get('10.0.0.3:8765')?.via ?? [])]).toEqual(['dns']);
    r.setDiscovered('dns', [], 0);
    expect([...r.candidates.keys()]).toEqual(['10.0.0.2:8765']);
  });

  it('dials new addresses at once and backs off after failures', () => {
    const r = registry();
    r.setDiscovered('static', [{ address: '10.0.0.2:8765' }], 1_000);
    expect(r.dueCandidates(1_000).map((c) => c.address)).toEqual(['10.0.0.2:8765']);
    r.attemptStarted('10.0.0.2:8765', 1_000);
    expect(r.dueCandidates(1_000)).toEqual([]);
    r.attemptFailed('10.0.0.2:8765', 'connection refused', 1_000);
    expect(r.dueCandidates(1_050)).toEqual([]);
    expect(r.nextDueAtMs()).toBe(1_100);
    r.attemptFailed('10.0.0.2:8765', 'connection refused', 1_100);
    expect(r.nextDueAtMs()).toBe(1_300);
  });

  it('stops dialling an address once the node there is connected, and dials again after it disconnects', () => {
    const r = registry();
    r.setDiscovered('static', [{ address: '10.0.0.2:8765' }], 0);
    const peer = identity('bbbbbbbbbbbbbbbb');
    admit(r, peer, '10.0.0.2:8765');
    expect(r.dueCandidates(10)).toEqual([]);
    expect(r.connectedNodes()).toHaveLength(1);
    r.disconnect(peer.id, 'gone', 100, 1_000);
    expect(r.dueCandidates(500)).toEqual([]);
    expect(r.dueCandidates(1_100).map((c) => c.address)).toEqual(['10.0.0.2:8765']);
  });

  it('remembers the address of a peer that contacted this node, so it can dial it back later', () => {
    const r = registry();
    admit(r, identity('bbbbbbbbbbbbbbbb'), '10.0.0.2:8765', 0, true);
    expect([...(r.candidates.get('10.0.0.2:8765')?.via ?? [])]).toEqual(['inbound']);
  });

  it('emits peer-connected once per running node, and a restart as disconnected then connected', () => {
    const r = registry();
    const events: string[] = [];
    r.onEvent((e: RegistryEvent) => events.push(`${e.type} ${e.peer.identity.instanceId.slice(0, 1)}`));
    admit(r, identity('bbbbbbbbbbbbbbbb', '1'), '10.0.0.2:8765');
    admit(r, identity('bbbbbbbbbbbbbbbb', '1'), '10.0.0.2:8765');
    admit(r, identity('bbbbbbbbbbbbbbbb', '2'), '10.0.0.2:8765');
    expect(events).toEqual(['peer-connected 1', 'peer-disconnected 1', 'peer-connected 2']);
  });

  it('records refusals with a count, and a refused address is retried only after a longer wait', () => {
    const r = registry();
    r.setDiscovered('static', [{ address: '10.0.0.2:8765' }], 0);
    const refusal = { reason: 'registration-key-differs' as const, message: 'key differs' };
    r.recordRefusal({ address: '10.0.0.2:8765', refusal, side: 'refused-by-this-node', nowMs: 0, outbound: true });
    r.recordRefusal({ address: '10.0.0.2:8765', refusal, side: 'refused-by-this-node', nowMs: 10, outbound: false });
    expect(r.currentRefusals(10)).toEqual([
      expect.objectContaining({ reason: 'registration-key-differs', count: 2, firstAt: 0, lastAt: 10 }),
    ]);
    expect(r.candidates.get('10.0.0.2:8765')?.state).toBe('refused');
    expect(r.dueCandidates(4_000)).toEqual([]);
    expect(r.currentRefusals(200_000)).toEqual([]);
  });

  it('marks this node as the second of a duplicate-ID pair when a peer refuses it as a duplicate', () => {
    const r = registry();
    const message = 'node ID aaaa… is already used by x at 10.0.0.9:8765';
    r.recordRefusal(
      refusalAt('10.0.0.2:8765', { reason: 'duplicate-node-id', message }, 'refused-by-peer', {
        peer: identity('bbbbbbbbbbbbbbbb'),
        outbound: true,
      }),
    );
    expect(r.currentIdentityConflict(1)).toMatchObject({ otherAddress: '10.0.0.2:8765' });
  });

  it('does not mark this node as second when it refused the later duplicate itself', () => {
    const r = registry();
    r.recordRefusal(
      refusalAt('10.0.0.3:8765', { reason: 'duplicate-node-id', message: 'dup' }, 'refused-by-this-node', {
        peer: identity(self.id, '9', 5_000),
        thisNodeIsSecond: false,
      }),
    );
    expect(r.currentIdentityConflict(1)).toBeUndefined();
  });

  it('keeps refusals of single messages (replays) when the node at that address is accepted', () => {
    const r = registry();
    r.recordRefusal(refusalAt('10.0.0.2:8765', { reason: 'replayed', message: 'replay' }, 'refused-by-this-node'));
    r.recordRefusal(refusalAt('10.0.0.2:8765', { reason: 'clock-skew', message: 'skew' }, 'refused-by-this-node'));
    admit(r, identity('bbbbbbbbbbbbbbbb'), '10.0.0.2:8765', 1);
    expect(r.currentRefusals(2).map((x) => x.reason)).toEqual(['replayed']);
  });
});
