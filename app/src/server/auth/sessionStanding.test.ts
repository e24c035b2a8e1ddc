import {
  credentialStamp,
  SESSION_STANDING_CACHE_MS,
  type SessionFacts,
  SessionStandingChecker,
} from './sessionStanding';

const ID = '0190a6b2-7c4e-7000-8000-000000000001';
const HASH = '$2b$12$abcdefghijklmnopqrstuu0123456789012345678901234567890';

function checkerOver(rows: Map<string, SessionFacts>, clock = { now: 0 }) {
  const reads: string[] = [];
  const checker = new SessionStandingChecker({
    loadFacts: async (id) => {
      reads.push(id);
      return rows.get(id);
    },
    nowMs: () => clock.now,
  });
  return { checker, reads, clock };
}

describe('the standing of a session', () => {
  it('stands while the user exists with the password the session began with, with the role stored now', async () => {
    const rows = new Map([[ID, { role: 'member' as const, passwordHash: HASH }]]);
    const { checker } = checkerOver(rows);
    await expect(checker.check(ID, credentialStamp(HASH))).resolves.toEqual({ standing: 'valid', role: 'member' });
  });

  it('is revoked once the user is deleted', async () => {
    const { checker } = checkerOver(new Map());
    await expect(checker.check(ID, credentialStamp(HASH))).resolves.toEqual({
      standing: 'revoked',
      reason: 'user deleted',
    });
  });

  it('is revoked once the password changed after the session began', async () => {
    const rows = new Map([[ID, { role: 'admin' as const, passwordHash: `${HASH}x` }]]);
    const { checker } = checkerOver(rows);
    await expect(checker.check(ID, credentialStamp(HASH))).resolves.toEqual({
      standing: 'revoked',
      reason: 'password changed',
    });
  });

  it('is revoked for a cookie without a credential stamp or without a user id', async () => {
    const rows = new Map([[ID, { role: 'admin' as const, passwordHash: HASH }]]);
    const { checker, reads } = checkerOver(rows);
    await expect(checker.check(ID, undefined)).resolves.toMatchObject({
      standing: 'revoked',
      reason: 'no credential stamp',
    });
    await expect(checker.check(undefined, credentialStamp(HASH))).resolves.toMatchObject({ standing: 'revoked' });
    expect(reads).toEqual([]);
  });

  it('reads a user once per cache period, and sees a change after it', async () => {
    const rows = new Map<string, SessionFacts>([[ID, { role: 'admin', passwordHash: HASH }]]);
    const { checker, reads, clock } = checkerOver(rows);
    const stamp = credentialStamp(HASH);
    await Promise.all([checker.check(ID, stamp), checker.check(ID, stamp), checker.check(ID, stamp)]);
    expect(reads).toHaveLength(1);
    rows.set(ID, { role: 'member', passwordHash: HASH });
    clock.now = SESSION_STANDING_CACHE_MS - 1;
    await expect(checker.check(ID, stamp)).resolves.toEqual({ standing: 'valid', role: 'admin' });
    clock.now = SESSION_STANDING_CACHE_MS;
    await expect(checker.check(ID, stamp)).resolves.toEqual({ standing: 'valid', role: 'member' });
    expect(reads).toHaveLength(2);
  });

  it('is unknown, not revoked, when the database cannot be asked, and asks again next time', async () => {
    let fail = true;
    const checker = new SessionStandingChecker({
      loadFacts: async () => {
        if (fail) throw new Error('connect ECONNREFUSED');
        return { role: 'member', passwordHash: HASH };
      },
      nowMs: () => 0,
    });
    await expect(checker.check(ID, credentialStamp(HASH))).resolves.toEqual({
      standing: 'unknown',
      error: 'connect ECONNREFUSED',
    });
    fail = false;
    await expect(checker.check(ID, credentialStamp(HASH))).resolves.toEqual({ standing: 'valid', role: 'member' });
  });

  it('keeps the cache bounded', async () => {
    const rows = new Map<string, SessionFacts>();
    const checker = new SessionStandingChecker({
      loadFacts: async (id) => rows.get(id),
      nowMs: () => 0,
      maxCachedUsers: 2,
    });
    for (const id of ['a', 'b', 'c', 'a']) await checker.check(id, 'stamp');
    expect((checker as unknown as { cache: Map<string, unknown> }).cache.size).toBe(2);
  });

  it('stamps differ for different hashes and never contain the hash', () => {
    expect(credentialStamp(HASH)).not.toBe(credentialStamp(`${HASH}x`));
    expect(credentialStamp(HASH)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});
