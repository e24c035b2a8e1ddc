/**
 * compose/docker-compose.lan.yml on two "servers", started with the commands of docs/compose.md: the file run twice,
 * as two compose projects on one engine (Docker Compose v5), each server with its own PostgreSQL and its own
 * loopback, the two reaching each other over a network the test creates (fixtures/lan.server-in-container.yml
 * stands in for each machine's host network). Both run the ONE app image built once: a Server Action rendered by
 * server 1 and posted to server 2 is accepted there (no HTTP 409 "Failed to find Server Action").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { serverActionBody, serverActionFields } from '../support/serverActionForm';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import {
  type DeployFolder,
  type PinnedImages,
  composeVariables,
  initDeployFolder,
  pinProjectImages,
  testResourceName,
} from './support/composeProject';
import { ADMIN, REPO_ROOT, containerHostAddress } from './support/containerSettings';

const SERVERS = [1, 2] as const;
const LAN_NETWORK = testResourceName('lan');
const project = (n: number) => testResourceName(`lan-server-${n}`);
const LAN_FILE_OPTION = '-f docker-compose.lan.yml';
const SERVER_IN_CONTAINER = join(__dirname, 'fixtures', 'lan.server-in-container.yml');

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

/** A container's log, both streams (the app logs errors to stderr). */
function containerLog(name: string, tailLines?: number): string {
  const result = spawnSync('docker', ['logs', ...(tailLines ? ['--tail', String(tailLines)] : []), name], {
    encoding: 'utf8',
  });
  return `${result.stdout}${result.stderr}`;
}

/**
 * A docs/compose.md block run for server `n`, as the page says: the placeholder N replaced by the server's number,
 * and (one machine has one host network) the fixture added after `-f docker-compose.lan.yml`.
 */
function runDocsBlock(
  commands: readonly string[],
  n: number,
  variables: Record<string, string>,
): { status: number; output: string } {
  const script = commands
    .map((command) =>
      command
        .replace(/\bMSK_NODE=N\b/g, `MSK_NODE=${n}`)
        .replace(LAN_FILE_OPTION, `${LAN_FILE_OPTION} -f ${SERVER_IN_CONTAINER}`),
    )
    .join('\n');
  if (!script.includes(`MSK_NODE=${n}`))
    throw new Error(`this docs/compose.md block no longer sets MSK_NODE=N:\n${commands.join('\n')}`);
  const result = spawnSync('bash', ['--norc', '--noprofile', '-eo', 'pipefail', '-c', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', COMPOSE_PROJECT_NAME: project(n), ...variables },
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

describe("compose/docker-compose.lan.yml started on two servers with docs/compose.md's commands, one image built once", () => {
  let deploy: DeployFolder;
  let images: PinnedImages;
  let variables: Record<string, string>;
  const serverUrl = (n: number) => `http://${docker('port', `${project(n)}-server-1`, '8080/tcp').split('\n')[0]}`;

  beforeAll(async () => {
    docker('network', 'create', LAN_NETWORK);
    images = pinProjectImages();
    // Every server uses the same public NEXTAUTH_URL (init's rule); static discovery by the servers' LAN names.
    deploy = initDeployFolder({
      publicUrl: 'http://192.0.2.10:8080',
      withAdmin: true,
      peers: SERVERS.map((n) => `server-${n}:8765`),
    });
    variables = composeVariables(deploy.dir, {
      MSK_REGISTRY: images.registry,
      LAN_NETWORK,
      PUBLISH_ADDRESS: containerHostAddress(),
    });
    const started = await Promise.all(
      SERVERS.map(async (n) => ({
        n,
        ...runDocsBlock(docsCommands('docs/compose.md', 'compose-lan-up'), n, variables),
      })),
    );
    for (const { n, status, output } of started) {
      if (status !== 0) {
        throw new Error(
          `docs/compose.md compose-lan-up for server ${n} failed (exit ${status}):\n${output.slice(-3000)}\n${containerLog(`${project(n)}-app-1`, 30)}`,
        );
      }
    }
  }, 300_000);

  afterAll(() => {
    for (const n of SERVERS) {
      spawnSync('docker', ['compose', '-p', project(n), 'down', '--volumes', '--timeout', '0'], {
        stdio: 'ignore',
        env: { ...process.env, ...variables, MSK_NODE: String(n) },
      });
    }
    spawnSync('docker', ['network', 'rm', LAN_NETWORK], { stdio: 'ignore' });
    images?.remove();
    deploy?.remove();
  });

  it('runs the same app image and the same sync image on both servers, the one built once', () => {
    const running = (n: number, service: string) =>
      docker('inspect', '--format', '{{.Image}}', `${project(n)}-${service}-1`);
    expect(SERVERS.map((n) => running(n, 'app'))).toEqual([images.appImageId, images.appImageId]);
    expect(running(1, 'sync')).toBe(running(2, 'sync'));
  });

  it('shows "Peers Connected: 1" on both servers with the docs\' check: their sync services found each other over the LAN', async () => {
    for (const n of SERVERS) {
      const status = await eventually(
        async () => {
          const result = runDocsBlock(docsCommands('docs/compose.md', 'compose-lan-check'), n, variables);
          if (result.status !== 0 || !result.output.includes('Peers Connected: 1')) throw new Error(result.output);
          return result.output;
        },
        {
          what: `docs/compose.md compose-lan-check on server ${n} showing "Peers Connected: 1"`,
          timeoutMs: 60_000,
          context: () => containerLog(`${project(n)}-sync-1`, 20),
        },
      );
      expect(status).toMatch(new RegExp(`^node-${3 - n}\\b.*authenticated`, 'm'));
    }
  });

  it('accepts on server 2 a Server Action whose form server 1 rendered (no 409), and replicates what it made to server 1', async () => {
    // The admins each server created at first start converge to one user: wait until server 2 serves server 1's session.
    const session: SignedInSession = await eventually(
      async () => {
        const signedIn = await signIn(serverUrl(1), ADMIN.email, ADMIN.password);
        if ((await sessionAt(serverUrl(2), signedIn)).user?.email !== ADMIN.email)
          throw new Error('server 2 does not accept the session yet');
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
    const answer = {
      status: posted.status,
      location: posted.headers.get('location'),
      body: posted.status === 303 ? '' : (await posted.text()).slice(0, 300),
    };
    expect(answer).toMatchObject({ status: 303, location: expect.stringMatching(/^\/businesses\/[0-9a-f-]{36}$/) });
    const id = (answer.location as string).split('/').pop() as string;
    await eventually(
      async () => {
        const response = await fetch(`${serverUrl(1)}/api/businesses/${id}`, { headers: { cookie: session.cookie } });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        const shown = (await response.json()) as { name: string };
        if (shown.name !== name) throw new Error(`name ${shown.name}`);
      },
      { what: `business ${id} (made on server 2) on server 1`, timeoutMs: 30_000 },
    );
    expect(containerLog(`${project(2)}-app-1`)).not.toContain('Failed to find Server Action');
  });
});
