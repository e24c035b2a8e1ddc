/**
 * Security promises that only hold if they hold on every node, proven on `npm start`'s cluster (two nodes, each
 * with its own PostgreSQL and sync service, behind the entry point):
 * - a fresh cluster has exactly one first admin, the same row on every node, with no replication conflict;
 * - sign-in accepts only email addresses;
 * - a change made on node 2 (delete a user, set a new password, demote an admin) ends the matching sessions or
 *   rights on node 1 within seconds: the change replicates, and node 1 checks every session against its row;
 * - /api/ready tells an anonymous caller through the entry point only ready-or-not and a reason code.
 */
import bcrypt from 'bcrypt';
import { Client } from 'pg';
import { join } from 'node:path';
import { readEnvFile, startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { eventually } from '../support/eventually';
import { signIn, type SignedInSession } from '../support/sessionClient';

const ADDRESS_BLOCK = 61;

interface UserView {
  id: string;
  email: string;
  role: string;
}

async function call(
  baseUrl: string,
  session: SignedInSession | undefined,
  method: string,
  path: string,
  body?: unknown,
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(session ? { cookie: session.cookie } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function sessionBody(
  baseUrl: string,
  session: SignedInSession,
): Promise<{ user?: { id?: string; role?: string } }> {
  return (await call(baseUrl, session, 'GET', '/api/auth/session')).body as { user?: { id?: string; role?: string } };
}

describe('security across the nodes of a fresh local cluster', () => {
  let cluster: StartedLocalCluster;
  let node1: string;
  let node2: string;
  let admin2: SignedInSession;

  const usersOn = async (baseUrl: string, session: SignedInSession): Promise<UserView[]> => {
    const answer = await call(baseUrl, session, 'GET', '/api/users');
    if (answer.status !== 200) throw new Error(`GET /api/users on ${baseUrl}: HTTP ${answer.status}`);
    return (answer.body as { users: UserView[] }).users;
  };

  /** Creates a user on node 2 and waits until node 1 has it, so it can sign in there. */
  const createOnNode2 = async (email: string, role: 'admin' | 'member', password: string): Promise<UserView> => {
    const created = await call(node2, admin2, 'POST', '/api/users', {
      email,
      name: email.split('@')[0],
      password,
      role,
    });
    expect(created.status).toBe(201);
    await eventually(
      async () => {
        if (!(await usersOn(node1, admin2)).some((user) => user.email === email))
          throw new Error(`${email} not on node 1 yet`);
      },
      { what: `${email} replicated to node 1` },
    );
    return created.body as UserView;
  };

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK });
    node1 = cluster.nodes[0]?.appUrl as string;
    node2 = cluster.nodes[1]?.appUrl as string;
    admin2 = await signIn(node2, cluster.admin.email, cluster.admin.password);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  describe('the first admin', () => {
    it('is one row, the same on every node: one admin, one id', async () => {
      const seen = await eventually(
        async () => {
          const lists = await Promise.all([node1, node2].map((node) => usersOn(node, admin2)));
          for (const users of lists) {
            if (users.length !== 1) throw new Error(`expected one user on each node, saw ${JSON.stringify(lists)}`);
          }
          return lists;
        },
        { what: 'every node settled on one user' },
      );
      const [onNode1, onNode2] = seen as [UserView[], UserView[]];
      expect(onNode1).toEqual(onNode2);
      expect(onNode1[0]).toMatchObject({ email: cluster.admin.email, role: 'admin' });
    });

    it('causes no replication conflict and no error on any node', async () => {
      // Both nodes have pulled from each other by now (the previous test saw the same row on both).
      await cluster.peersConnected();
      for (const node of cluster.nodes) {
        const status = (await (await fetch(`${node.syncUrl}/status`)).json()) as {
          replication?: { conflicts?: { resolved?: number } };
          peers: Array<{ replication?: { errors?: number; conflictsResolved?: number; lastError?: string | null } }>;
        };
        expect(status.replication?.conflicts?.resolved).toBe(0);
        for (const peer of status.peers)
          expect(peer.replication).toMatchObject({ errors: 0, conflictsResolved: 0, lastError: null });
      }
    });
  });

  it('refuses to sign in as a row renamed by a replication conflict, or with anything but an email address', async () => {
    // What a unique-email conflict leaves behind (`<email>#conflict-<id>`), with a password that would match,
    // written behind the app's back as the node's PostgreSQL superuser.
    const renamed = 'ops@example.com#conflict-0123456789ab';
    const password = 'renamed-row-password-1';
    const { configDir } = await cluster.state();
    const url = new URL(cluster.nodes[0]?.postgresUrl as string);
    url.password = encodeURIComponent(readEnvFile(join(configDir, 'postgres-superuser.env')).POSTGRES_PASSWORD ?? '');
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(
        "INSERT INTO users (id, email, name, password_hash, role) VALUES (gen_random_uuid(), $1, 'Ops', $2, 'admin')",
        [renamed, await bcrypt.hash(password, 4)],
      );
    } finally {
      await client.end();
    }
    await expect(signIn(node1, renamed, password)).rejects.toThrow(/no session cookie/);
    for (const email of ['admin', '']) {
      await expect(signIn(cluster.entryUrl, email, cluster.admin.password)).rejects.toThrow(/no session cookie/);
    }
  });

  it("ends a deleted user's session on the other node within seconds: no list, no create, no session re-issued", async () => {
    const password = 'deleted-user-password-1';
    const doomed = await createOnNode2('doomed@example.com', 'member', password);
    const session = await signIn(node1, doomed.email, password);
    expect((await call(node1, session, 'GET', '/api/businesses')).status).toBe(200);

    expect((await call(node2, admin2, 'DELETE', `/api/users/${doomed.id}`)).status).toBe(204);

    await eventually(
      async () => {
        const list = await call(node1, session, 'GET', '/api/businesses');
        if (list.status !== 401) throw new Error(`GET /api/businesses still answers ${list.status}`);
      },
      { what: "the deleted user's cookie refused on node 1" },
    );
    expect((await call(node1, session, 'POST', '/api/businesses', { name: 'Ghost Ltd', type: 'retail' })).status).toBe(
      401,
    );
    const reissue = await fetch(`${node1}/api/auth/session`, { headers: { cookie: session.cookie } });
    expect(await reissue.json()).toEqual({});
    const cleared = reissue.headers.getSetCookie().find((cookie) => cookie.startsWith(`${session.sessionCookieName}=`));
    expect(cleared).toMatch(/^[^=]+=;/);
  });

  it('ends sessions that began before a new password was set on the other node, and the new password works', async () => {
    const oldPassword = 'password-before-reset-1';
    const newPassword = 'password-after-reset-22';
    const user = await createOnNode2('reset@example.com', 'member', oldPassword);
    const before = await signIn(node1, user.email, oldPassword);
    expect((await call(node1, before, 'GET', '/api/businesses')).status).toBe(200);

    expect((await call(node2, admin2, 'PATCH', `/api/users/${user.id}`, { password: newPassword })).status).toBe(200);

    await eventually(
      async () => {
        const list = await call(node1, before, 'GET', '/api/businesses');
        if (list.status !== 401) throw new Error(`the session from before the reset still answers ${list.status}`);
      },
      { what: 'the pre-reset session refused on node 1' },
    );
    const after = await signIn(node1, user.email, newPassword);
    expect((await call(node1, after, 'GET', '/api/businesses')).status).toBe(200);
  });

  it('takes admin rights from a demoted admin on the other node within seconds, keeping the session', async () => {
    const password = 'second-admin-password-1';
    const second = await createOnNode2('second-admin@example.com', 'admin', password);
    const session = await signIn(node1, second.email, password);
    expect((await call(node1, session, 'GET', '/api/users')).status).toBe(200);
    expect((await sessionBody(node1, session)).user?.role).toBe('admin');

    expect((await call(node2, admin2, 'PATCH', `/api/users/${second.id}`, { role: 'member' })).status).toBe(200);

    await eventually(
      async () => {
        const role = (await sessionBody(node1, session)).user?.role;
        if (role !== 'member') throw new Error(`the session still says ${role}`);
      },
      { what: "the demoted admin's session says member on node 1" },
    );
    expect((await call(node1, session, 'GET', '/api/users')).status).toBe(403);
    expect((await call(node1, session, 'GET', '/api/businesses')).status).toBe(200);
  });

  describe('readiness', () => {
    it('tells an anonymous caller through the entry point only whether the node is ready, and why not', async () => {
      const answer = await call(cluster.entryUrl, undefined, 'GET', '/api/ready');
      expect(answer).toEqual({ status: 200, body: { status: 'ready', reason: 'ok' } });
    });

    it("gives the details to a process on the node's machine talking to it directly", async () => {
      const answer = await call(node1, undefined, 'GET', '/api/ready');
      expect(answer.body).toMatchObject({
        status: 'ready',
        node: { name: cluster.nodes[0]?.name },
        checks: { database: 'ok' },
      });
    });

    it('gives the details to an admin through the entry point', async () => {
      const admin = await signIn(cluster.entryUrl, cluster.admin.email, cluster.admin.password);
      const answer = await call(cluster.entryUrl, admin, 'GET', '/api/ready');
      expect(answer.body).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
    });
  });
});
