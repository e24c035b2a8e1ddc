/**
 * Sessions across real app nodes: each node is the built standalone server in its own process on its own
 * loopback address with its own database, exactly as in a cluster. Signing in goes through NextAuth's real
 * HTTP endpoints; the cookie is then shown to other nodes.
 */
import { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
import { allStarted, startAppServer, type StartedAppServer } from './testing/appServer';
import {
  newSessionSecret,
  TEST_ADMIN_EMAIL,
  TEST_ADMIN_PASSWORD,
  testNodeEnvironment,
} from './testing/nodeEnvironment';
import {
  api,
  readSession,
  SESSION_COOKIE,
  sessionHeader,
  setCookies,
  signedIn,
  signIn,
} from './testing/nextAuthClient';
import { ensureStandaloneBuild } from './testing/standaloneBuild';

// Real processes on a shared 2-core machine; Jest ignores a testTimeout set inside a project, so set it here.
jest.setTimeout(120_000);

const OLD_SECRET = newSessionSecret();
const NEW_SECRET = newSessionSecret();
/** The one URL users open (the entry point); the same on every node. */
const ENTRY_URL = 'http://127.0.1.2:8080';

describe('sessions across app nodes', () => {
  const databases: TestDatabase[] = [];
  const servers: StartedAppServer[] = [];
  let nodeA: StartedAppServer;
  let nodeB: StartedAppServer;
  let otherSecretNode: StartedAppServer;
  let rotationPhase1Node: StartedAppServer;
  let rotationPhase2Node: StartedAppServer;
  let cookieFromA: string;
  let serverJs: string;

  async function startNode(
    address: string,
    nodeName: string,
    secret: string,
    previous: string[] = [],
    shared?: TestDatabase,
  ) {
    const database = shared ?? (await createTestDatabase('app_sessions'));
    if (!shared) databases.push(database);
    const server = await startAppServer({
      serverJs,
      env: await testNodeEnvironment({
        address,
        nodeName,
        databaseUrl: database.url,
        nextAuthSecret: secret,
        nextAuthSecretPrevious: previous,
        nextAuthUrl: ENTRY_URL,
      }),
    });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    serverJs = await ensureStandaloneBuild();
    nodeA = await startNode('127.0.1.2', 'node-a', OLD_SECRET);
    // A session stands only while its user's row does (sessionStanding). Nodes with the cluster's secret make the
    // same first-admin row in their own databases; a rotation happens long after that row exists, and replication
    // brings it to every node whatever the node's secret: here the rotation nodes share node A's database.
    const nodeADatabase = databases[0] as TestDatabase;
    [nodeB, otherSecretNode, rotationPhase1Node, rotationPhase2Node] = await allStarted([
      startNode('127.0.1.3', 'node-b', OLD_SECRET),
      startNode('127.0.1.4', 'node-other-secret', newSessionSecret()),
      // Rotation phase 1: still sealing with the old secret, already opening cookies sealed with the new one.
      startNode('127.0.1.5', 'node-rotation-1', OLD_SECRET, [NEW_SECRET], nodeADatabase),
      // Rotation phase 2: sealing with the new secret, still opening cookies sealed with the old one.
      startNode('127.0.1.6', 'node-rotation-2', NEW_SECRET, [OLD_SECRET], nodeADatabase),
    ]);
    cookieFromA = await signedIn(nodeA.url, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all(databases.map((database) => database.drop()));
  });

  it('signs in through the real NextAuth endpoints and sets an HttpOnly session cookie', async () => {
    const result = await signIn(nodeA.url, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
    expect(result.status).toBe(200);
    expect(result.sessionCookie).toMatch(/^eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0\./); // {"alg":"dir","enc":"A256GCM"}
    const { body } = await readSession(nodeA.url, cookieFromA);
    expect(body).toMatchObject({ user: { email: TEST_ADMIN_EMAIL, role: 'admin' } });
  });

  it('refuses a wrong password without setting a session cookie', async () => {
    const result = await signIn(nodeA.url, TEST_ADMIN_EMAIL, 'not-the-password');
    expect(result.sessionCookie).toBeUndefined();
    expect(JSON.stringify(result.body)).toContain('error=CredentialsSignin');
  });

  it('reads the session made on node A on node B, which has the same secret', async () => {
    const onA = (await readSession(nodeA.url, cookieFromA)).body as { user: { id: string } };
    const { body } = await readSession(nodeB.url, cookieFromA);
    expect(body).toEqual({
      user: { id: onA.user.id, email: TEST_ADMIN_EMAIL, name: 'Administrator', role: 'admin' },
      expires: expect.any(String),
    });
  });

  it('serves pages and the API on node B to the session made on node A, with node B in the badge', async () => {
    const page = await fetch(`${nodeB.url}/businesses`, { headers: sessionHeader(cookieFromA), redirect: 'manual' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-node-name="node-b"');
    expect(html).toContain(TEST_ADMIN_EMAIL);
    expect((await api(nodeB.url, cookieFromA, 'GET', '/api/businesses')).status).toBe(200);
  });

  it('gives {} on a node with a different secret, logs JWT_SESSION_ERROR and clears the cookie', async () => {
    const { body, response } = await readSession(otherSecretNode.url, cookieFromA);
    expect(body).toEqual({});
    expect(setCookies(response).get(SESSION_COOKIE)).toBe('');
    const line = await otherSecretNode.waitForOutput(/JWT_SESSION_ERROR/);
    expect(line).toContain('decryption operation failed');
    expect(line).not.toContain(cookieFromA);
  });

  it('sends the session to sign-in (pages) and answers 401 (API) on a node with a different secret', async () => {
    const page = await fetch(`${otherSecretNode.url}/businesses`, {
      headers: sessionHeader(cookieFromA),
      redirect: 'manual',
    });
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toBe('/signin?callbackUrl=%2Fbusinesses');
    const call = await api(otherSecretNode.url, cookieFromA, 'GET', '/api/businesses');
    expect(call.status).toBe(401);
    expect(call.body).toMatchObject({ error: 'unauthorized' });
  });

  it('reads a cookie sealed with the old secret on a node whose NEXTAUTH_SECRET_PREVIOUS has it (rotation phase 2)', async () => {
    expect((await readSession(rotationPhase2Node.url, cookieFromA)).body).toMatchObject({
      user: { email: TEST_ADMIN_EMAIL },
    });
    // The proxy and the pages open it too, not only NextAuth's own route.
    const page = await fetch(`${rotationPhase2Node.url}/businesses`, {
      headers: sessionHeader(cookieFromA),
      redirect: 'manual',
    });
    expect(page.status).toBe(200);
    expect((await api(rotationPhase2Node.url, cookieFromA, 'GET', '/api/businesses')).status).toBe(200);
  });

  it('re-seals the cookie with the new secret in phase 2, which phase-1 nodes read and nodes outside the rotation do not', async () => {
    const { response } = await readSession(rotationPhase2Node.url, cookieFromA);
    const resealed = setCookies(response).get(SESSION_COOKIE);
    expect(resealed).toBeTruthy();
    expect(resealed).not.toBe(cookieFromA);
    expect((await readSession(rotationPhase1Node.url, resealed!)).body).toMatchObject({
      user: { email: TEST_ADMIN_EMAIL },
    });
    expect((await readSession(rotationPhase2Node.url, resealed!)).body).toMatchObject({
      user: { email: TEST_ADMIN_EMAIL },
    });
    // A node that skipped phase 1 logs this user out: why the rotation has two phases.
    expect((await readSession(nodeA.url, resealed!)).body).toEqual({});
  });

  it('rejects a tampered cookie everywhere a session is read', async () => {
    const parts = cookieFromA.split('.');
    const ciphertext = parts[3] as string;
    parts[3] = ciphertext.slice(0, 5) + (ciphertext[5] === 'A' ? 'B' : 'A') + ciphertext.slice(6);
    const tampered = parts.join('.');
    expect(tampered).not.toBe(cookieFromA);
    expect((await readSession(nodeB.url, tampered)).body).toEqual({});
    expect((await api(nodeB.url, tampered, 'GET', '/api/businesses')).status).toBe(401);
    const page = await fetch(`${nodeB.url}/businesses`, { headers: sessionHeader(tampered), redirect: 'manual' });
    expect(page.status).toBe(307);
  });
});
