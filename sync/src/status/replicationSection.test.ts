import { formatReplication, initialLoadLine } from './replicationSection';
import type { SyncStatus } from './statusModel';
import { renderTable } from './statusTable';

const peer = (replication: unknown) => ({
  name: 'server-2',
  id: 'bbbbbbbbbbbbbbbb',
  address: '10.0.0.2:8765',
  discoveredVia: ['static'],
  authState: 'authenticated' as const,
  lastSeenAt: null,
  clockSkewMs: null,
  agreement: null,
  connectedAt: null,
  lastError: null,
  refusalReason: null,
  replication,
});

const statusWith = (replication: unknown, peers: unknown[] = []) => ({ peers, replication }) as unknown as SyncStatus;

describe('the replication section of service:status', () => {
  it('is absent when replication contributed nothing', () => {
    expect(formatReplication(statusWith(undefined), renderTable)).toEqual([]);
  });

  it('says which tables it waits for', () => {
    const lines = formatReplication(
      statusWith({ state: 'waiting-for-schema', waitingFor: { missingTables: ['users', 'employees'], error: null } }),
      renderTable,
    );
    expect(lines.join('\n')).toContain(
      'Replication: waiting-for-schema (tables not created yet: users, employees), conflicts resolved: 0',
    );
  });

  it('prints lag in changes and ms, the last batch, conflicts and errors per peer', () => {
    const text = formatReplication(
      statusWith({ state: 'running', conflicts: { resolved: 1, recent: [] } }, [
        peer({
          lag: { changes: 0, ms: 0 },
          lastBatch: { at: '2030-01-01T00:00:00.000Z', kind: 'applied', received: 3, applied: 2 },
          conflictsResolved: 1,
          errors: 2,
        }),
      ]),
      renderTable,
    ).join('\n');
    expect(text).toMatch(/PEER\s+LAG \(CHANGES\)\s+LAG \(MS\)\s+LAST BATCH\s+CONFLICTS\s+ERRORS/);
    expect(text).toMatch(/server-2\s+0\s+0\s+applied 3 received, 2 applied at 2030-01-01T00:00:00.000Z\s+1\s+2/);
  });

  it("prints a peer's last error only while pulls from it fail", () => {
    const failing = formatReplication(
      statusWith({ state: 'running' }, [peer({ failing: true, lastError: 'peer answered HTTP 503' })]),
      renderTable,
    ).join('\n');
    const recovered = formatReplication(
      statusWith({ state: 'running' }, [peer({ failing: false, lastError: 'peer answered HTTP 503' })]),
      renderTable,
    ).join('\n');
    expect(failing).toContain('server-2: last error: peer answered HTTP 503');
    expect(recovered).not.toContain('last error');
  });
});

describe('the initial load in service:status', () => {
  type Load = Parameters<typeof initialLoadLine>[0];
  const load = (overrides: object): Load =>
    ({
      loading: true,
      phase: 'loading',
      source: { id: 'aaaaaaaaaaaaaaaa', name: 'server-1' },
      fence: '812',
      pages: 3,
      rowsReceived: 15_000,
      rowsApplied: 15_000,
      startedAt: '2030-01-01T00:00:00.000Z',
      connectedPeers: 1,
      ...overrides,
    }) as Load;

  it('shows the load in progress under Replication: source, rows, and that the app is not ready', () => {
    const text = formatReplication(statusWith({ state: 'running', initialLoad: load({}) }), renderTable).join('\n');
    expect(text).toContain(
      '  initial load: loading from server-1 (aaaaaaaaaaaaaaaa), 15000 row(s) applied in 3 page(s) since ' +
        '2030-01-01T00:00:00.000Z; this node holds part of the data: the app answers /api/ready with 503 until it is done',
    );
  });

  it('names each phase, and says when the app stays ready', () => {
    expect(initialLoadLine(load({ phase: 'due', source: null }))).toMatch(
      /^initial load: due, from the first connected peer \(1 connected\)/,
    );
    expect(initialLoadLine(load({ phase: 'due', loading: false, connectedPeers: 0 }))).toMatch(/the app stays ready$/);
    expect(
      initialLoadLine(load({ phase: 'due', loading: false, heldData: true, refusal: 'schema-mismatch: v7' })),
    ).toMatch(
      /^initial load: due, .* the app stays ready with the rows this node held \(the load was refused: schema-mismatch: v7\)$/,
    );
    expect(initialLoadLine(load({ phase: 'catching-up' }))).toContain(
      'initial load: cut short by a restart, catching up from server-1 (aaaaaaaaaaaaaaaa) by pulls until past fence 812;',
    );
    expect(initialLoadLine(load({ phase: 'catching-up', loading: false }))).toContain('(that peer is not connected)');
    expect(initialLoadLine(load({ phase: 'reloading', loading: false }))).toMatch(
      /^reload: loading a snapshot from server-1 .* the app stays ready \(its data is complete, if stale\)$/,
    );
  });

  it('prints nothing without a load, or from an older release', () => {
    for (const absent of [undefined, null, load({ phase: 'none', loading: false }), { phase: 42 }])
      expect(initialLoadLine(absent as never)).toBeUndefined();
  });
});
