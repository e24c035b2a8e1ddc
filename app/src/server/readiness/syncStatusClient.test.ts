import { syncStatusResponse, syncStatusUrl } from './syncStatusClient';

describe('the sync status client', () => {
  it('asks loopback when the sync service listens on every interface', () => {
    expect(syncStatusUrl('0.0.0.0', 8765)).toBe('http://127.0.0.1:8765/status');
    expect(syncStatusUrl('::', 8765)).toBe('http://[::1]:8765/status');
  });

  it('asks the bind address when the sync service listens on one address', () => {
    expect(syncStatusUrl('127.0.1.2', 9000)).toBe('http://127.0.1.2:9000/status');
    expect(syncStatusUrl('fd00::2', 8765)).toBe('http://[fd00::2]:8765/status');
  });

  it('reads the agreement out of a larger status document', () => {
    const parsed = syncStatusResponse.parse({
      node: { id: 'x' },
      peers: [],
      agreement: {
        ok: false,
        oddOneOut: true,
        mismatches: [{ variable: 'NEXTAUTH_SECRET', peers: [{ id: 'a', name: 'b', address: 'c', extra: 1 }] }],
      },
    });
    expect(parsed.agreement.mismatches[0]?.variable).toBe('NEXTAUTH_SECRET');
  });

  it('refuses a status without a well-formed agreement', () => {
    expect(syncStatusResponse.safeParse({ agreement: { ok: 'yes' } }).success).toBe(false);
    expect(syncStatusResponse.safeParse({}).success).toBe(false);
  });
});

describe('the initial load in the sync status', () => {
  const agreement = { ok: true, oddOneOut: false, mismatches: [] };

  it('reads replication.initialLoad: loading, the source peer and the progress', () => {
    const parsed = syncStatusResponse.parse({
      agreement,
      replication: {
        state: 'running',
        initialLoad: {
          loading: true,
          phase: 'loading',
          source: { id: 'fedcba9876543210', name: 'server-2' },
          pages: 2,
          rowsApplied: 10_000,
          startedAt: '2030-01-01T00:00:00.000Z',
          fence: '1234',
        },
      },
    });
    expect(parsed.replication?.initialLoad).toMatchObject({ loading: true, rowsApplied: 10_000 });
  });

  it('reads a status without it (an older sync service, replication off) as no load', () => {
    expect(syncStatusResponse.parse({ agreement }).replication).toBeUndefined();
    expect(syncStatusResponse.parse({ agreement, replication: { state: 'off' } }).replication?.initialLoad).toBe(
      undefined,
    );
  });

  it('reads an odd initialLoad as absent and still reads the agreement', () => {
    for (const odd of [{ loading: 'yes' }, 'loading', { loading: true, rowsApplied: -1 }]) {
      const parsed = syncStatusResponse.safeParse({ agreement, replication: { initialLoad: odd } });
      expect(parsed.success).toBe(true);
      expect(parsed.data?.replication?.initialLoad).toBeNull();
    }
    expect(syncStatusResponse.parse({ agreement, replication: 'on' }).replication).toBeNull();
  });
});
