import type { SyncStatus } from './statusModel';
import { paint } from '@msk/kit/cliConventions';
import { formatStatus, renderTable } from './statusTable';

const base: SyncStatus = {
  generatedAt: '2030-01-01T00:00:10.000Z',
  service: { name: 'msk-sync', version: '0.1.0', pid: 1, uptimeMs: 10_000, tls: false },
  node: {
    id: 'aaaaaaaaaaaaaaaa',
    name: 'server-1',
    address: '10.0.0.1:8765',
    startedAt: '2030-01-01T00:00:00.000Z',
    appPort: 8080,
  },
  configured: true,
  listening: true,
  discovery: { mode: 'static', candidates: [], lastUpdateAt: null, lastError: null, ignored: [] },
  peersConnected: 1,
  peers: [
    {
      name: 'server-2',
      id: 'bbbbbbbbbbbbbbbb',
      address: '10.0.0.2:8765',
      discoveredVia: ['static'],
      authState: 'authenticated',
      lastSeenAt: '2030-01-01T00:00:09.500Z',
      clockSkewMs: -4,
      agreement: { ok: true, differing: [] },
      connectedAt: '2030-01-01T00:00:01.000Z',
      lastError: null,
      refusalReason: null,
      appBuild: null,
    },
  ],
  refused: [],
  agreement: { ok: true, oddOneOut: false, mismatches: [] },
  appBuild: { url: 'http://127.0.0.1:8080/api/build', build: null, reported: null, lastError: null, checkedAt: null },
  database: null,
  identity: { conflict: null },
  ready: { ok: true, reasons: [] },
  warnings: [],
};

describe('formatStatus: the database line', () => {
  const database = {
    declared: 'shared' as const,
    detected: 'shared' as const,
    sharedWith: ['server-2'],
    unknownPeers: [],
    problem: null,
    thisNodeRefused: false,
    fingerprint: '3fa2c1d0',
    lastError: null,
    replication: false,
  };

  it('says "Database: shared with <peers>" in a shared cluster, and that replication is off', () => {
    expect(formatStatus({ ...base, database })).toContain(
      'Database: shared with server-2 (DATABASE_TOPOLOGY=shared, capture and replication off, identity 3fa2c1d0)',
    );
  });

  it('names the peers whose database is not known yet (not compared)', () => {
    expect(formatStatus({ ...base, database: { ...database, unknownPeers: ['server-3'] } })).toContain(
      'Database: shared with server-2 (DATABASE_TOPOLOGY=shared, capture and replication off, identity 3fa2c1d0; not told yet by server-3)',
    );
  });

  it('lists a refused topology under Problems, saying when this node is the refused one', () => {
    const problem =
      "a cluster's nodes must all share one database or each have their own, but server-1 and server-2 share one database; server-3 has its own; refused: server-3. Fix: …";
    const text = formatStatus({
      ...base,
      database: { ...database, detected: 'mixed', problem, thisNodeRefused: true, sharedWith: [] },
    });
    expect(text).toContain(`Problems:\n  database topology (this node is refused: its readiness fails): ${problem}`);
  });

  it('says a per-node database is its own and replicated, and an unread one is not identified yet', () => {
    expect(
      formatStatus({
        ...base,
        database: { ...database, declared: 'per-node', detected: 'per-node', sharedWith: [], replication: true },
      }),
    ).toContain('Database: its own (DATABASE_TOPOLOGY=per-node, replicated, identity 3fa2c1d0)');
    expect(
      formatStatus({
        ...base,
        database: {
          ...database,
          detected: 'unknown',
          sharedWith: [],
          fingerprint: null,
          lastError: 'cannot read the database identity: ECONNREFUSED',
        },
      }),
    ).toContain('Database: not identified yet (cannot read the database identity: ECONNREFUSED)');
  });
});

describe('formatStatus', () => {
  it('starts with "Peers Connected: N" and prints one table row per peer', () => {
    const text = formatStatus(base);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Peers Connected: 1');
    expect(lines[1]).toBe(
      'Node: server-1 (aaaaaaaaaaaaaaaa) at 10.0.0.1:8765, discovery static, started 10.0 s ago, ready',
    );
    expect(text).toMatch(/PEER\s+ID\s+ADDRESS\s+DISCOVERED VIA\s+AUTH\s+LAST SEEN\s+CLOCK SKEW\s+CONFIG/);
    expect(text).toMatch(
      /server-2\s+bbbbbbbbbbbbbbbb\s+10\.0\.0\.2:8765\s+static\s+authenticated\s+500 ms ago\s+-4 ms\s+agrees/,
    );
    expect(text).toContain('Configuration: agrees with all 1 connected peer(s).');
  });

  it('explains refusals, disagreements and readiness', () => {
    const text = formatStatus({
      ...base,
      peersConnected: 0,
      peers: [
        {
          ...base.peers[0]!,
          authState: 'refused',
          refusalReason: 'registration-key-differs',
          lastError: 'key differs',
          agreement: null,
          lastSeenAt: null,
          clockSkewMs: null,
        },
      ],
      refused: [
        {
          address: '10.0.0.2:8765',
          id: 'bbbbbbbbbbbbbbbb',
          name: 'server-2',
          reason: 'registration-key-differs',
          summary: 'registration key differs',
          message: "server-2 at 10.0.0.2:8765 could not prove it holds this cluster's SYNC_REGISTRATION_KEY",
          side: 'refused-by-this-node',
          firstAt: base.generatedAt,
          lastAt: base.generatedAt,
          count: 3,
        },
      ],
      agreement: {
        ok: false,
        oddOneOut: true,
        mismatches: [
          {
            variable: 'NEXTAUTH_SECRET',
            peers: [{ id: 'b', name: 'server-3', address: '10.0.0.3:8765' }],
            oddOneOut: true,
          },
        ],
      },
      ready: { ok: false, reasons: ['configuration differs'] },
    });
    expect(text.split('\n')[0]).toBe('Peers Connected: 0');
    expect(text).toMatch(/refused \(registration-key-differs\)\s+never/);
    expect(text).toContain(
      'server-2 at 10.0.0.2:8765: registration key differs (refused by this node): server-2 at 10.0.0.2:8765 could not prove',
    );
    expect(text).toContain('Configuration: DISAGREES (this node is the odd one out: its readiness fails)');
    expect(text).toContain('  NEXTAUTH_SECRET differs on server-3 (10.0.0.3:8765)');
    expect(text).toContain('Not ready: configuration differs');
  });

  it('says when static discovery has nobody to talk to', () => {
    expect(formatStatus({ ...base, peersConnected: 0, peers: [] })).toContain(
      'No peers known: SYNC_PEERS is empty and no peer has contacted this node.',
    );
  });
});

describe('formatStatus: app build and colour', () => {
  it('shows the app build, or why it is unknown', () => {
    const known = {
      ...base,
      appBuild: {
        ...base.appBuild,
        build: {
          buildId: 'build-A',
          deploymentId: 'msk-app-0-1-0',
          serverActionsKeyFingerprint: 'a'.repeat(32),
          short: 'build-A, key aaaaaaaa',
        },
      },
    };
    expect(formatStatus(known)).toContain('App build: build-A, key aaaaaaaa (deployment msk-app-0-1-0)');
    const unknown = {
      ...base,
      appBuild: { ...base.appBuild, lastError: 'GET http://127.0.0.1:8080/api/build: fetch failed (ECONNREFUSED)' },
    };
    expect(formatStatus(unknown)).toContain(
      'App build: unknown, not compared with peers (GET http://127.0.0.1:8080/api/build: fetch failed (ECONNREFUSED))',
    );
    const notReported = { ...base, appBuild: { ...base.appBuild, reported: false } };
    expect(formatStatus(notReported)).toContain(
      'App build: not reported by the app (http://127.0.0.1:8080/api/build has no build endpoint), so the build-once check cannot run; not compared with peers',
    );
    expect(formatStatus(notReported)).not.toContain('Problems:');
  });

  it('colours NOT READY only when given a colour paint', () => {
    const notReady = { ...base, ready: { ok: false, reasons: ['x'] } };
    expect(formatStatus(notReady)).not.toContain('\u001b[');
    expect(formatStatus(notReady, paint(true))).toContain('\u001b[31mNOT READY\u001b[39m');
  });
});

describe('renderTable', () => {
  it('pads columns to their widest cell', () => {
    expect(renderTable(['A', 'BB'], [['xxx', 'y']])).toBe('A    BB\n---  --\nxxx  y');
  });
});
