import { formatReplication } from './replicationSection';
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
