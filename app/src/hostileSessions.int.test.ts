/**
 * Hostile input to the app's sign-in and sessions, against the real built server (two nodes on 127.0.11.2-3 with
 * the same NEXTAUTH_SECRET and their own databases): forged, expired, truncated and tampered session cookies, a
 * cookie from another cluster, a CSRF mismatch, and brute-force sign-in attempts (limited per account and address
 * and per client address, on each node on its own, never locking the account itself).
 *
 * Node A trusts 127.0.0.1 as its proxy (TRUSTED_PROXIES), so this test, connecting from 127.0.0.1, plays the
 * entry point and says who the client is with X-Forwarded-For. Node B trusts no proxy, like a node reached
 * directly: whatever X-Forwarded-For a client writes, it is the connection's address that counts.
 */
import { encode } from 'next-auth/jwt';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
import { allStarted, startAppServer, type StartedAppServer } from './testing/appServer';
import {
  newSessionSecret,
  TEST_ADMIN_EMAIL,
  TEST_ADMIN_PASSWORD,
  testNodeEnvironment,
} from './testing/nodeEnvironment';
import { api, csrf, readSession, SESSION_COOKIE, sessionHeader, setCookies, signedIn } from './testing/nextAuthClient';
import { ensureStandaloneBuild } from './testing/standaloneBuild';
import { LOGIN_LIMITS } from './server/auth/loginRateLimit';
import { credentialStamp } from './server/auth/sessionStanding';

const { maxFailuresPerAccountAndAddress: MAX_FAILURES_PER_PAIR, maxFailuresPerAddress: MAX_FAILURES_PER_ADDRESS } =
  LOGIN_LIMITS;
jest.setTimeout(120_000);

const SECRET = newSessionSecret();
const MEMBER = { email: 'member@example.com', name: 'Member', password: 'member-password-123', role: 'member' };

/** A sign-in through NextAuth's real endpoints, as a client behind the entry point at `clientAddress`. */
async function signInFrom(
  baseUrl: string,
  clientAddress: string,
  email: string,
  password: string,
  csrfOverride?: string,
) {
  const { csrfToken, csrfCookie } = await csrf(baseUrl);
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `next-auth.csrf-token=${csrfCookie}`,
      'x-forwarded-for': clientAddress,
    },
    body: new URLSearchParams({ csrfToken: csrfOverride ?? csrfToken, email, password, json: 'true' }),
  });
  return {
    status: response.status,
    sessionCookie: setCookies(response).get(SESSION_COOKIE) || undefined,
    body: (await response.json()) as { url: string },
  };
}

describe('hostile input to sign-in and sessions (real app nodes)', () => {
  const databases: TestDatabase[] = [];
  let nodeA: StartedAppServer;
  let nodeB: StartedAppServer;
  let adminCookie: string;
  let adminId: string;
  let wrongPasswordAnswer: { status: number; body: unknown };

  let adminStamp: string;
  const databaseOf = new Map<string, TestDatabase>();

  async function startNode(address: string, nodeName: string, trustedProxies: string): Promise<StartedAppServer> {
    const database = await createTestDatabase('app_hostile');
    databases.push(database);
    databaseOf.set(nodeName, database);
    const env = await testNodeEnvironment({ address, nodeName, databaseUrl: database.url, nextAuthSecret: SECRET });
    return startAppServer({
      serverJs: await ensureStandaloneBuild(),
      env: { ...env, TRUSTED_PROXIES: trustedProxies },
    });
  }

  async function passwordHashOf(databaseUrl: string, email: string): Promise<string> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (
        await client.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = $1', [email])
      ).rows[0]?.password_hash as string;
    } finally {
      await client.end();
    }
  }

  const expectNoSession = async (cookie: string) => {
    const { body, response } = await readSession(nodeA.url, cookie);
    expect(body).toEqual({});
    expect(setCookies(response).get(SESSION_COOKIE)).toBe('');
    expect((await api(nodeA.url, cookie, 'GET', '/api/businesses')).status).toBe(401);
    const page = await fetch(`${nodeA.url}/businesses`, { headers: sessionHeader(cookie), redirect: 'manual' });
    expect(page.status).toBe(307);
  };

  const withoutPort = (answer: { status: number; body: { url: string } }) => ({
    status: answer.status,
    body: { url: answer.body.url.replace(/:\d+\//, ':PORT/') },
  });

  beforeAll(async () => {
    await ensureStandaloneBuild();
    [nodeA, nodeB] = await allStarted([
      startNode('127.0.11.2', 'node-a', '127.0.0.1'),
      startNode('127.0.11.3', 'node-b', ''),
    ]);
    adminStamp = credentialStamp(
      await passwordHashOf((databaseOf.get('node-a') as TestDatabase).url, TEST_ADMIN_EMAIL),
    );
    adminCookie = await signedIn(nodeA.url, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
    adminId = ((await readSession(nodeA.url, adminCookie)).body as { user: { id: string } }).user.id;
    expect((await api(nodeA.url, adminCookie, 'POST', '/api/users', MEMBER)).status).toBe(201);
    wrongPasswordAnswer = withoutPort(await signInFrom(nodeA.url, '192.0.2.1', 'someone@example.com', 'wrong'));
  }, 300_000);

  afterAll(async () => {
    await Promise.all([nodeA, nodeB].map((node) => node?.stop()));
    await Promise.all(databases.map((database) => database.drop()));
  });

  const token = () => ({
    sub: adminId,
    email: TEST_ADMIN_EMAIL,
    name: 'Administrator',
    role: 'admin' as const,
    cred: adminStamp,
  });

  it('accepts a cookie sealed with the cluster secret (the control for the cases below)', async () => {
    const minted = await encode({ token: token(), secret: SECRET });
    expect((await readSession(nodeA.url, minted)).body).toMatchObject({ user: { id: adminId, role: 'admin' } });
  });

  it("refuses a cookie sealed with the cluster secret but without the user's credential stamp, or with another", async () => {
    const { cred: _cred, ...withoutStamp } = token();
    await expectNoSession(await encode({ token: withoutStamp, secret: SECRET }));
    await expectNoSession(await encode({ token: { ...token(), cred: 'A'.repeat(22) }, secret: SECRET }));
    const line = await nodeA.waitForOutput(/session revoked: no credential stamp/);
    expect(line).not.toContain(SECRET);
  });

  it('takes the role from the database, not from the cookie', async () => {
    const memberId = (
      (await api(nodeA.url, adminCookie, 'GET', '/api/users')).body as { users: { id: string; email: string }[] }
    ).users.find((user) => user.email === MEMBER.email)?.id as string;
    const memberHash = await passwordHashOf((databaseOf.get('node-a') as TestDatabase).url, MEMBER.email);
    const claimsAdmin = await encode({
      token: {
        sub: memberId,
        email: MEMBER.email,
        name: MEMBER.name,
        role: 'admin',
        cred: credentialStamp(memberHash),
      },
      secret: SECRET,
    });
    expect((await readSession(nodeA.url, claimsAdmin)).body).toMatchObject({ user: { id: memberId, role: 'member' } });
    expect((await api(nodeA.url, claimsAdmin, 'GET', '/api/users')).status).toBe(403);
  });

  it('refuses an expired session cookie, though sealed with the right secret', async () => {
    const expired = await encode({ token: token(), secret: SECRET, maxAge: -60 });
    await expectNoSession(expired);
    const line = await nodeA.waitForOutput(/JWT_SESSION_ERROR.*exp/);
    expect(line).not.toContain(expired);
  });

  it('refuses truncated session cookies', async () => {
    await expectNoSession(adminCookie.slice(0, Math.floor(adminCookie.length / 2)));
    await expectNoSession(adminCookie.split('.').slice(0, 4).join('.'));
    await expectNoSession(adminCookie.slice(0, -1));
  });

  it('refuses a cookie whose header or authentication tag was changed', async () => {
    const parts = adminCookie.split('.');
    const headerChanged = [Buffer.from('{"alg":"dir","enc":"A128GCM"}').toString('base64url'), ...parts.slice(1)].join(
      '.',
    );
    const tag = parts[4] as string;
    const tagChanged = [...parts.slice(0, 4), (tag[0] === 'A' ? 'B' : 'A') + tag.slice(1)].join('.');
    await expectNoSession(headerChanged);
    await expectNoSession(tagChanged);
  });

  it("refuses a cookie sealed with another cluster's secret and says so in the log without the cookie", async () => {
    const foreign = await encode({ token: token(), secret: newSessionSecret() });
    await expectNoSession(foreign);
    const line = await nodeA.waitForOutput(/JWT_SESSION_ERROR.*decryption operation failed/);
    expect(line).not.toContain(foreign);
    expect(line).not.toContain(SECRET);
  });

  it('signs nobody in when the CSRF token does not match the CSRF cookie, even with the right password', async () => {
    const { csrfToken: otherToken } = await csrf(nodeA.url);
    const mismatch = await signInFrom(nodeA.url, '192.0.2.2', TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, otherToken);
    expect(mismatch.sessionCookie).toBeUndefined();
    expect(mismatch.body.url).toMatch(/\/signin\?csrf=true$/);
    const missing = await signInFrom(nodeA.url, '192.0.2.2', TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, '');
    expect(missing.sessionCookie).toBeUndefined();
    expect(missing.body.url).toMatch(/csrf=true/);
  });

  it('limits failed sign-ins per account from one address: the right password is then refused there too, exactly like a wrong one, and logged without the email', async () => {
    const attacker = '198.51.100.66';
    for (let i = 0; i < MAX_FAILURES_PER_PAIR; i++) {
      expect(withoutPort(await signInFrom(nodeA.url, attacker, TEST_ADMIN_EMAIL, `guess-${i}`))).toEqual(
        wrongPasswordAnswer,
      );
    }
    const limited = await signInFrom(nodeA.url, attacker, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
    expect(limited.sessionCookie).toBeUndefined();
    expect(withoutPort(limited)).toEqual(wrongPasswordAnswer);
    const line = await nodeA.waitForOutput(
      /sign-in refused: too many failed attempts from this address for this account/,
    );
    expect(JSON.parse(line)).toMatchObject({
      limitedBy: 'account-and-address',
      address: attacker,
      account: expect.stringMatching(/^acct:[0-9a-f]{12}$/),
    });
    expect(line).not.toContain(TEST_ADMIN_EMAIL);
    expect(line).not.toContain(TEST_ADMIN_PASSWORD);
  });

  it("does not lock the account out: its owner signs in from another address right after an attacker's failures", async () => {
    const owner = await signInFrom(nodeA.url, '198.51.100.99', TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
    expect(owner.sessionCookie).toBeTruthy();
  });

  it('answers an unknown account the same way through the limit (no account enumeration)', async () => {
    for (let i = 0; i <= MAX_FAILURES_PER_PAIR; i++) {
      expect(withoutPort(await signInFrom(nodeA.url, '198.51.100.200', 'nobody@example.com', `guess-${i}`))).toEqual(
        wrongPasswordAnswer,
      );
    }
  });

  it('does not lock the account out on another node, which counts on its own', async () => {
    expect(await signedIn(nodeB.url, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD)).toBeTruthy();
  });

  it('limits failed sign-ins per client address across accounts, and only that address', async () => {
    const flooder = '203.0.113.7';
    const guesses = Array.from({ length: MAX_FAILURES_PER_ADDRESS }, (_, i) => `guess${i}@example.com`);
    for (let i = 0; i < guesses.length; i += 2) {
      await Promise.all(
        guesses.slice(i, i + 2).map((email) => signInFrom(nodeA.url, `10.9.9.9, ${flooder}`, email, 'password')),
      );
    }
    // A forged entry left of the entry point's own is ignored: still the same address.
    const limited = await signInFrom(nodeA.url, `10.1.2.3, ${flooder}`, MEMBER.email, MEMBER.password);
    expect(limited.sessionCookie).toBeUndefined();
    expect(withoutPort(limited)).toEqual(wrongPasswordAnswer);
    expect(await nodeA.waitForOutput(/too many failed attempts from this address on this node/)).toContain(flooder);
    const otherAddress = await signInFrom(nodeA.url, '203.0.113.8', MEMBER.email, MEMBER.password);
    expect(otherAddress.sessionCookie).toBeTruthy();
  });

  it('believes no X-Forwarded-For from a client that is not a trusted proxy: a forged address per attempt sprays no further', async () => {
    const guesses = Array.from({ length: MAX_FAILURES_PER_ADDRESS }, (_, i) => `spray${i}@example.com`);
    for (let i = 0; i < guesses.length; i += 2) {
      await Promise.all(
        guesses.slice(i, i + 2).map((email, j) => signInFrom(nodeB.url, `192.0.2.${i + j + 10}`, email, 'password')),
      );
    }
    const limited = await signInFrom(nodeB.url, '192.0.2.250', TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
    expect(limited.sessionCookie).toBeUndefined();
    const line = await nodeB.waitForOutput(/too many failed attempts from this address on this node/);
    expect(JSON.parse(line)).toMatchObject({ limitedBy: 'address', address: '127.0.0.1' });
  });

  it('keeps serving signed-in users throughout', async () => {
    expect((await api(nodeA.url, adminCookie, 'GET', '/api/businesses')).status).toBe(200);
  });
});
