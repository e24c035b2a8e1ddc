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
