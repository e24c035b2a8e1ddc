/**
 * compose/docker-compose.yml brought up for real (Testcontainers' DockerComposeEnvironment over Docker Compose v5,
 * `docker compose`) with the files `npm run init` writes: both nodes come up healthy, a login on one node is a
 * login on the other and through the entry point, the sync services connect and replicate, and PostgreSQL trusts
 * no one: a wrong password is refused on localhost, and the app and the sync service connect as their own roles.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sessionAt, signIn } from '../support/sessionClient';
import { initDeployFolder, testResourceName, envFileValues } from './support/composeProject';
import { type StartedPublishedNodes, startPublishedNodes } from './support/publishedNodes';
import { ADMIN } from './support/containerSettings';
import { eventually } from '../support/eventually';

const PROJECT = testResourceName('compose');
const SERVICES = ['node-1', 'postgres-1', 'app-1', 'sync-1', 'node-2', 'postgres-2', 'app-2', 'sync-2', 'entry-point'];

describe('compose/docker-compose.yml with the configuration npm run init writes', () => {
  let compose: StartedPublishedNodes;

  beforeAll(async () => {
    compose = await startPublishedNodes({
      project: PROJECT,
      deploy: (entryUrl) => initDeployFolder({ publicUrl: entryUrl, withAdmin: true }),
      logServices: ['app-1', 'app-2', 'sync-1', 'postgres-1'],
    });
  });
  afterAll(async () => {
    await compose?.stop();
  });

  it('runs every service of both nodes and the entry point, each healthy where it has a health check', async () => {
    for (const service of SERVICES) {
      const name = execFileSync('docker', ['inspect', '--format', '{{.Name}}', compose.container(service).getId()], {
        encoding: 'utf8',
      }).trim();
      expect(name).toBe(`/${compose.containerName(service)}`);
    }
    const withHealthCheck = SERVICES.filter((service) => !service.startsWith('node-'));
    const health = await eventually(
      async () => {
        const states = Object.fromEntries(
          withHealthCheck.map((service) => [service, healthOf(compose.containerName(service))]),
        );
        if (Object.values(states).some((state) => state !== 'healthy')) throw new Error(JSON.stringify(states));
        return states;
      },
      { what: 'every compose service with a health check healthy', timeoutMs: 60_000 },
    );
    expect(Object.keys(health).sort()).toEqual([...withHealthCheck].sort());
  });

  it('accepts a login made on node 1 as a valid session on node 2 and through the entry point', async () => {
    const session = await signIn(compose.nodeUrl(1), ADMIN.email, ADMIN.password);
    expect((await sessionAt(compose.nodeUrl(2), session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(compose.entryUrl, session)).user?.email).toBe(ADMIN.email);
    const viaEntry = await signIn(compose.entryUrl, ADMIN.email, ADMIN.password);
    for (const n of [1, 2]) expect((await sessionAt(compose.nodeUrl(n), viaEntry)).user?.email).toBe(ADMIN.email);
  });

  it("refuses a wrong password on 127.0.0.1 for the app's role, the sync service's and the superuser (localhost is not trusted)", async () => {
    const node = envFileValues(join(compose.deploy.dir, 'node-1.env'));
    const users = [
      new URL(node.DATABASE_URL as string).username,
      new URL(node.SYNC_DATABASE_URL as string).username,
      'postgres',
    ];
    expect(users).toEqual(['msk_app', 'msk_sync', 'postgres']);
    for (const user of users) {
      const { exitCode, output } = await compose
        .container('postgres-1')
        .exec(['psql', '-h', '127.0.0.1', '-U', user, '-d', 'multi_business_db', '-Atc', 'SELECT current_user'], {
          env: { PGPASSWORD: 'not-the-password' },
        });
      expect({ user, exitCode, output }).toMatchObject({
        user,
        exitCode: 2,
        output: expect.stringMatching(/password authentication failed/),
      });
    }
  });

  it("sets the superuser's password from the secret init wrote (POSTGRES_PASSWORD_FILE), never in the container's environment", async () => {
    const password = readFileSync(join(compose.deploy.dir, 'postgres-superuser-password'), 'utf8').trim();
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    const { exitCode, output } = await compose
      .container('postgres-1')
      .exec(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'multi_business_db', '-Atc', 'SELECT current_user'], {
        env: { PGPASSWORD: password },
      });
    expect({ exitCode, output: output.trim() }).toEqual({ exitCode: 0, output: 'postgres' });
    const env = JSON.parse(
      execFileSync('docker', ['inspect', '--format', '{{json .Config.Env}}', compose.containerName('postgres-1')], {
        encoding: 'utf8',
      }),
    ) as string[];
    expect(env).toContain('POSTGRES_PASSWORD_FILE=/run/secrets/postgres_superuser_password');
    expect(env.filter((entry) => entry.startsWith('POSTGRES_PASSWORD='))).toEqual([]);
    expect(env.join('\n')).not.toContain(password);
  });

  it('connects the app and the sync service as msk_app and msk_sync, neither a superuser nor able to run a program', async () => {
    const byRole = await eventually(
      async () => {
        const { exitCode, output } = await compose.container('postgres-1').exec(
          [
            'psql',
            '-d',
            'multi_business_db',
            '-Atc',
            "SELECT DISTINCT a.usename || ':' || r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename " +
              "WHERE a.datname = 'multi_business_db' AND a.pid <> pg_backend_pid() ORDER BY 1",
          ],
          { user: 'postgres' }, // the superuser only over the container's own socket (peer)
        );
        if (exitCode !== 0 || !output.includes('msk_app') || !output.includes('msk_sync')) throw new Error(output);
        return output.trim().split('\n');
      },
      { what: 'the app and the sync service connected to postgres-1', timeoutMs: 30_000 },
    );
    expect(byRole).toEqual(['msk_app:false', 'msk_sync:false']);
    const shared = envFileValues(join(compose.deploy.dir, 'shared.env'));
    for (const [user, password] of [
      ['msk_app', shared.DATABASE_PASSWORD],
      ['msk_sync', shared.SYNC_DATABASE_PASSWORD],
    ] as const) {
      const { exitCode, output } = await compose
        .container('postgres-1')
        .exec(
          [
            'psql',
            '-h',
            '127.0.0.1',
            '-U',
            user,
            '-d',
            'multi_business_db',
            '-Atc',
            "COPY (SELECT 1) TO PROGRAM 'true'",
          ],
          { env: { PGPASSWORD: password as string } },
        );
      expect({ user, exitCode, output }).toMatchObject({
        user,
        exitCode: 1,
        output: expect.stringMatching(/to COPY to or from an external program/),
      });
    }
  });

  it('replicates a business created on node 1 to node 2', async () => {
    const name = `Least privilege ${Date.now()}`;
    const session = await signIn(compose.nodeUrl(1), ADMIN.email, ADMIN.password);
    const created = await fetch(`${compose.nodeUrl(1)}/api/businesses`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json', origin: compose.nodeUrl(1) },
      body: JSON.stringify({ name, type: 'retail' }),
    });
    expect(created.status).toBe(201);
    const onNode2 = await signIn(compose.nodeUrl(2), ADMIN.email, ADMIN.password);
    await eventually(
      async () => {
        const listed = await fetch(`${compose.nodeUrl(2)}/api/businesses`, { headers: { cookie: onNode2.cookie } });
        const text = await listed.text();
        if (!text.includes(name)) throw new Error(`${listed.status} ${text.slice(0, 200)}`);
      },
      { what: 'the business replicated to node 2', timeoutMs: 30_000 },
    );
  });

  it('shows "Peers Connected: 1" in service:status inside each sync container', async () => {
    await compose.syncPeersConnected(30_000);
  });
});

function healthOf(containerName: string): string {
  return execFileSync(
    'docker',
    ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', containerName],
    {
      encoding: 'utf8',
    },
  ).trim();
}
