/**
 * compose/docker-compose.lan.yml on two "servers": the file started twice, as two compose projects on one engine
 * (Docker Compose v5 through Testcontainers' DockerComposeEnvironment), each server with its own PostgreSQL and its
 * own loopback, the two reaching each other over a network the test creates (fixtures/lan.server-in-container.yml
 * stands in for each machine's host network). Both run the ONE app image built once: a Server Action rendered by
 * server 1 and posted to server 2 is accepted there (no HTTP 409 "Failed to find Server Action").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, type StartedTestContainer } from 'testcontainers';
import { eventually } from '../support/eventually';
import { serverActionBody, serverActionFields } from '../support/serverActionForm';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import { type DeployFolder, composeVariables, initDeployFolder, testResourceName } from './support/composeProject';
import { ADMIN, APP_IMAGE, COMPOSE_DIR, SERVICE_STATUS_COMMAND, containerHostAddress } from './support/containerSettings';

const SERVERS = [1, 2] as const;
const LAN_NETWORK = testResourceName('lan');
const project = (n: number) => testResourceName(`lan-server-${n}`);
const SERVER_START_TIMEOUT_MS = 120_000;

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** A container's log, both streams (the app logs errors to stderr). */
function containerLog(name: string, tailLines?: number): string {
  const result = spawnSync('docker', ['logs', ...(tailLines ? ['--tail', String(tailLines)] : []), name], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
}

describe('compose/docker-compose.lan.yml started on two servers, one image built once', () => {
  let deploy: DeployFolder;
  const servers = new Map<number, StartedDockerComposeEnvironment>();
  /** Compose v5 names containers <project>-<service>-<n>. */
  const container = (n: number, service: string): StartedTestContainer =>
    (servers.get(n) as StartedDockerComposeEnvironment).getContainer(`${project(n)}-${service}-1`);
  const serverUrl = (n: number) => {
    const host = container(n, 'server');
    return `http://${host.getHost()}:${host.getMappedPort(8080)}`;
  };

  beforeAll(async () => {
    docker('network', 'create', LAN_NETWORK);
    // Every server uses the same public NEXTAUTH_URL (init's rule); static discovery by the servers' LAN names.
    deploy = initDeployFolder({ publicUrl: 'http://192.0.2.10:8080', withAdmin: true, peers: SERVERS.map((n) => `server-${n}:8765`) });
    const started = await Promise.all(
      SERVERS.map(async (n) => {
        const environment = await new DockerComposeEnvironment(COMPOSE_DIR, ['docker-compose.lan.yml', join(__dirname, 'fixtures', 'lan.server-in-container.yml')])
          .withProjectName(project(n))
          .withEnvironment(composeVariables(deploy.dir, { MSK_NODE: String(n), LAN_NETWORK, PUBLISH_ADDRESS: containerHostAddress() }))
          .withStartupTimeout(SERVER_START_TIMEOUT_MS)
          .up();
        return [n, environment] as const;
      }),
    ).catch(async (error: unknown) => {
      for (const n of SERVERS) execFileSync('docker', ['compose', '-p', project(n), 'down', '-v', '-t', '0'], { stdio: 'ignore' });
      throw error;
    });
    for (const [n, environment] of started) servers.set(n, environment);
    for (const n of SERVERS) {
      await eventually(
        async () => {
          const response = await fetch(`${serverUrl(n)}/api/health`);
          if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        },
        { what: `server ${n}'s app answering /api/health`, timeoutMs: 90_000, context: () => containerLog(`${project(n)}-app-1`, 30) },
      );
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all([...servers.values()].map((environment) => environment.down({ removeVolumes: true })));
    execFileSync('docker', ['network', 'rm', LAN_NETWORK], { stdio: 'ignore' });
    deploy?.remove();
  });

  it('runs the same app image and the same sync image on both servers, the one built once', () => {
    const built = docker('image', 'inspect', '--format', '{{.Id}}', APP_IMAGE);
    const running = (n: number, service: string) => docker('inspect', '--format', '{{.Image}}', `${project(n)}-${service}-1`);
    expect(SERVERS.map((n) => running(n, 'app'))).toEqual([built, built]);
    expect(running(1, 'sync')).toBe(running(2, 'sync'));
  });

  it('shows "Peers Connected: 1" on both servers: their sync services found each other over the LAN', async () => {
    for (const n of SERVERS) {
      await eventually(
        async () => {
          const { exitCode, output } = await container(n, 'sync').exec(SERVICE_STATUS_COMMAND);
          if (exitCode !== 0 || !output.includes('Peers Connected: 1')) throw new Error(output);
        },
        { what: `service:status on server ${n} showing "Peers Connected: 1"`, timeoutMs: 60_000 },
      );
    }
  });

  it('accepts on server 2 a Server Action whose form server 1 rendered (no 409), and replicates what it made to server 1', async () => {
    // The admin each server created at first start converge to one user; wait until server 2 knows server 1's.
    const session: SignedInSession = await eventually(
      async () => {
        const signedIn = await signIn(serverUrl(1), ADMIN.email, ADMIN.password);
        if ((await sessionAt(serverUrl(2), signedIn)).user?.email !== ADMIN.email) throw new Error('server 2 does not accept the session yet');
        const listed = await fetch(`${serverUrl(2)}/api/businesses`, { headers: { cookie: signedIn.cookie } });
        if (listed.status !== 200) throw new Error(`GET /api/businesses on server 2: HTTP ${listed.status}`);
        return signedIn;
      },
      { what: 'a session made on server 1 accepted by server 2', timeoutMs: 60_000 },
    );
    const page = await fetch(`${serverUrl(1)}/businesses`, { headers: { cookie: session.cookie } });
    expect(page.status).toBe(200);
    const name = `Made across servers ${Date.now()}`;
    const hidden = serverActionFields(await page.text(), 'Create business');
    expect(hidden.length).toBeGreaterThan(0);
    const posted = await fetch(`${serverUrl(2)}/businesses`, {
      method: 'POST',
      redirect: 'manual',
      // What a browser sends when the user submits the form to server 2 (Origin agrees with Host).
      headers: { cookie: session.cookie, origin: serverUrl(2) },
      body: serverActionBody(hidden, { name, type: 'services' }),
    });
    const answer = { status: posted.status, location: posted.headers.get('location'), body: posted.status === 303 ? '' : (await posted.text()).slice(0, 300) };
    expect(answer).toMatchObject({ status: 303, location: expect.stringMatching(/^\/businesses\/[0-9a-f-]{36}$/) });
    const id = (answer.location as string).split('/').pop() as string;
    await eventually(
      async () => {
        const response = await fetch(`${serverUrl(1)}/api/businesses/${id}`, { headers: { cookie: session.cookie } });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        expect(((await response.json()) as { name: string }).name).toBe(name);
      },
      { what: `business ${id} (made on server 2) on server 1`, timeoutMs: 30_000 },
    );
    expect(containerLog(`${project(2)}-app-1`)).not.toContain('Failed to find Server Action');
  });
});
