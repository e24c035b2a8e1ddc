import type { ConfigFingerprints } from '../core/configFingerprints';
import type { NodeIdentity } from '../core/handshake';
import type { PeerRegistry } from '../peers/peerRegistry';
import { admitPeer, testRegistry } from '../testing/peerRegistryFixture';
import { type StatusInput, buildStatus } from './statusModel';

const cfg = (secret: string): ConfigFingerprints => ({
  fingerprints: { NEXTAUTH_SECRET: secret },
  previousSessionSecrets: [],
  publicValues: {},
});
const self: NodeIdentity = {
  id: 'aaaaaaaaaaaaaaaa',
  name: 'server-1',
  instanceId: '1'.repeat(32),
  startedAt: 1_000,
  port: 8765,
};
const peer: NodeIdentity = {
  id: 'bbbbbbbbbbbbbbbb',
  name: 'server-2',
  instanceId: '2'.repeat(32),
  startedAt: 2_000,
  port: 8765,
};

function input(registry: PeerRegistry, overrides: Partial<StatusInput> = {}): StatusInput {
  return {
    nowMs: 10_000,
    version: '0.1.0',
    pid: 42,
    tls: false,
    self,
    selfAddress: '10.0.0.1:8765',
    selfConfig: cfg('s1'),
    appPort: 8080,
    appBuild: { url: 'http://127.0.0.1:8080/api/build', build: null, lastError: null, checkedAt: null },
    listening: true,
    registry,
    discovery: { mode: 'static', candidates: [], lastUpdateAt: null, lastError: null, ignored: [] },
    warnings: [],
    contributors: [],
    ...overrides,
  };
}
const newRegistry = () => testRegistry(self);

describe('buildStatus', () => {
  it('counts connected peers and describes each with the fields the status table prints', () => {
    const registry = newRegistry();
    registry.setDiscovered('static', [{ address: '10.0.0.2:8765' }, { address: '10.0.0.3:8765' }], 0);
    admitPeer(registry, peer, { config: cfg('s1'), clockSkewMs: 3, nowMs: 9_000, inbound: false });
    registry.attemptFailed('10.0.0.3:8765', 'connection refused at 10.0.0.3:8765', 9_500);
    const status = buildStatus(input(registry));
    expect(status.peersConnected).toBe(1);
    expect(status.node).toEqual({
      id: self.id,
      name: 'server-1',
      address: '10.0.0.1:8765',
      startedAt: new Date(1_000).toISOString(),
      appPort: 8080,
    });
    expect(status.peers).toEqual([
      expect.objectContaining({
        name: 'server-2',
        id: peer.id,
        address: '10.0.0.2:8765',
        discoveredVia: ['static'],
        authState: 'authenticated',
        lastSeenAt: new Date(9_000).toISOString(),
        clockSkewMs: 3,
        agreement: { ok: true, differing: [] },
      }),
      expect.objectContaining({
        name: null,
        id: null,
        address: '10.0.0.3:8765',
        authState: 'unreachable',
        lastError: 'connection refused at 10.0.0.3:8765',
      }),
    ]);
    expect(status.ready).toEqual({ ok: true, reasons: [] });
  });

  it('exposes agreement exactly as { ok, oddOneOut, mismatches } and fails readiness on the odd one out', () => {
    const registry = newRegistry();
    admitPeer(registry, { ...peer, startedAt: 500 }, { config: cfg('s2'), nowMs: 9_000, inbound: true });
    const status = buildStatus(input(registry));
    expect(Object.keys(status.agreement).sort()).toEqual(['mismatches', 'oddOneOut', 'ok']);
    expect(status.agreement).toEqual({
      ok: false,
      oddOneOut: true,
      mismatches: [
        {
          variable: 'NEXTAUTH_SECRET',
          peers: [{ id: peer.id, name: 'server-2', address: '10.0.0.2:8765' }],
          oddOneOut: true,
        },
      ],
    });
    expect(status.ready.ok).toBe(false);
    expect(status.ready.reasons[0]).toMatch(/odd one out: NEXTAUTH_SECRET/);
  });

  it("names both app builds when they differ, and fails the later node's readiness with the fix", () => {
    const registry = newRegistry();
    const theirs = { buildId: 'build-A', deploymentId: null, serverActionsKeyFingerprint: 'a'.repeat(32) };
    const mine = { ...theirs, serverActionsKeyFingerprint: 'b'.repeat(32) };
    admitPeer(registry, { ...peer, startedAt: 500 }, { config: cfg('s1'), nowMs: 9_000, inbound: true });
    registry.setAppBuild(peer.id, theirs);
    const status = buildStatus(
      input(registry, { appBuild: { url: 'u', build: mine, lastError: null, checkedAt: 9_000 } }),
    );
    expect(status.appBuild.build?.short).toBe('build-A, key bbbbbbbb');
    expect(status.peers[0]?.appBuild?.short).toBe('build-A, key aaaaaaaa');
    expect(status.peers[0]?.agreement).toEqual({ ok: false, differing: ['APP_BUILD'] });
    expect(status.ready.ok).toBe(false);
    expect(status.ready.reasons).toEqual([
      expect.stringContaining(
        'odd one out: the app builds differ (Server Actions key): this node runs build-A, key bbbbbbbb, server-2 runs build-A, key aaaaaaaa',
      ),
    ]);
    expect(status.ready.reasons[0]).toContain('build once, run the same image');
  });

  it('is not ready while the port is not listening', () => {
    expect(buildStatus(input(newRegistry(), { listening: false })).ready).toEqual({
      ok: false,
      reasons: ['the sync port is not listening'],
    });
  });

  it('lets contributors add node-level and per-peer fields under their own name', () => {
    const registry = newRegistry();
    admitPeer(registry, peer, { config: cfg('s1'), nowMs: 9_000, inbound: false });
    const status = buildStatus(
      input(registry, {
        contributors: [
          { name: 'replication', node: () => ({ lagChanges: 0 }), peer: (id) => ({ lagMs: id === peer.id ? 12 : 0 }) },
        ],
      }),
    );
    expect(status.replication).toEqual({ lagChanges: 0 });
    expect(status.peers[0]?.replication).toEqual({ lagMs: 12 });
  });

  it("fails readiness with a contributor's reasons (replication refusing its tables), and passes without them", () => {
    let reasons: string[] = [
      'replication refused: REPLICATED_TABLES names a table the engine cannot replicate as it is',
    ];
    const contributor = { name: 'replication', notReady: () => reasons };
    expect(buildStatus(input(newRegistry(), { contributors: [contributor] })).ready).toEqual({ ok: false, reasons });
    reasons = [];
    expect(buildStatus(input(newRegistry(), { contributors: [contributor] })).ready).toEqual({ ok: true, reasons: [] });
  });

  it('lists current refusals with a short summary and the full message', () => {
    const registry = newRegistry();
    registry.recordRefusal({
      address: '10.0.0.4:8765',
      refusal: { reason: 'registration-key-differs', message: 'long message' },
      side: 'refused-by-peer',
      nowMs: 9_000,
      outbound: true,
    });
    expect(buildStatus(input(registry)).refused).toEqual([
      expect.objectContaining({
        address: '10.0.0.4:8765',
        reason: 'registration-key-differs',
        summary: 'registration key differs',
        message: 'long message',
        side: 'refused-by-peer',
        count: 1,
      }),
    ]);
  });

  describe('the database topology', () => {
    const A = 'a'.repeat(32);
    const B = 'b'.repeat(32);
    const database = (fingerprint: string | null, peers: Record<string, string | null>) => ({
      declared: 'shared' as const,
      fingerprint,
      lastError: null,
      peerDatabase: (id: string) => peers[id] ?? null,
    });

    it('says shared with the connected peers on the same database, replication off, ready', () => {
      const registry = newRegistry();
      admitPeer(registry, peer, { config: cfg('s1'), nowMs: 9_000, inbound: false });
      const status = buildStatus(input(registry, { database: database(A, { [peer.id]: A }) }));
      expect(status.database).toMatchObject({
        declared: 'shared',
        detected: 'shared',
        sharedWith: ['server-2'],
        replication: false,
        fingerprint: 'aaaaaaaa',
      });
      expect(status.ready).toEqual({ ok: true, reasons: [] });
    });

    it('fails readiness with the reason when this node is the refused one, and counts only connected peers', () => {
      const registry = newRegistry();
      admitPeer(registry, { ...peer, startedAt: 500 }, { config: cfg('s1'), nowMs: 9_000, inbound: false });
      const status = buildStatus(input(registry, { database: database(B, { [peer.id]: A }) }));
      expect(status.database?.thisNodeRefused).toBe(true);
      expect(status.ready.ok).toBe(false);
      expect(status.ready.reasons).toEqual([
        expect.stringMatching(
          /^database topology refused: DATABASE_TOPOLOGY is shared but server-1 and server-2 each have their own database; refused: server-1/,
        ),
      ]);
      registry.disconnect(peer.id, 'gone', 9_500);
      expect(buildStatus(input(registry, { database: database(B, { [peer.id]: A }) })).ready.ok).toBe(true);
    });

    it('is null when the service runs without a database input', () => {
      expect(buildStatus(input(newRegistry())).database).toBeNull();
    });
  });
});
