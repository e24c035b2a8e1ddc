/**
 * compose/docker-compose.shared-db.yml brought up for real (Testcontainers' DockerComposeEnvironment over Docker
 * Compose v5) with the files docs/compose.md's `npm run init -- --database shared ...` writes: two app nodes and ONE
 * PostgreSQL. One login is a session on both nodes, a business written through node 1 is read through node 2 at
 * once, the first admin exists once, both sync services say the database is shared with `Peers Connected: 1`, no
 * capture is installed, and nothing acknowledged is lost across a restart of an app container and of the database.
 * The page's blocks run in a sandbox checkout; its `up` is the same file brought up by DockerComposeEnvironment
 * (with the test's overlay that publishes each node on the test's loopback address).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DockerComposeEnvironment,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
} from 'testcontainers';
import { parseEnvFile } from '@msk/contract/envFile';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import {
  type PinnedImages,
  addAdmin,
  composeVariables,
  pinProjectImages,
  testResourceName,
} from './support/composeProject';
import { composeLogTails, freeEntryPoint } from './support/publishedNodes';
import { ADMIN, SERVICE_STATUS_COMMAND } from './support/containerSettings';
import { type SandboxCheckout, runBlock, sandboxCheckout } from './support/docsSandbox';

const PAGE = 'docs/compose.md';
const FILE = 'docker-compose.shared-db.yml';
const PROJECT = testResourceName('shared-db');
const SERVICES = ['postgres', 'node-1', 'app-1', 'sync-1', 'node-2', 'app-2', 'sync-2', 'entry-point'];
/** The public URL the page's init block writes; the test's entry point is published elsewhere. */
const DOCUMENTED_PUBLIC_URL = 'http://127.0.0.1:8080';
const HEALTHY_TIMEOUT_MS = 240_000;

describe('compose/docker-compose.shared-db.yml: two app nodes on one PostgreSQL, as docs/compose.md runs it', () => {
  let sandbox: SandboxCheckout;
  let images: PinnedImages;
  let environment: StartedDockerComposeEnvironment | undefined;
  let variables: Record<string, string>;
  let entryUrl: string;
  const containerName = (service: string) => `${PROJECT}-${service}-1`;
  const container = (service: string): StartedTestContainer =>
    (environment as StartedDockerComposeEnvironment).getContainer(`${service}-1`);
  const nodeUrl = (n: number) => {
    const holder = container(`node-${n}`);
    return `http://${holder.getHost()}:${holder.getMappedPort(8080)}`;
  };
  const superuserQuery = async (sql: string): Promise<string> => {
    const { exitCode, output } = await container('postgres').exec(['psql', '-d', 'multi_business_db', '-Atc', sql], {
      user: 'postgres',
    });
    if (exitCode !== 0) throw new Error(`psql failed: ${output}`);
    return output.trim();
  };

  beforeAll(async () => {
    sandbox = sandboxCheckout();
    images = pinProjectImages();
    const entry = await freeEntryPoint();
    entryUrl = entry.url;

    const init = docsCommands('docs/compose.md', 'compose-shared-db-init');
    expect(init).toEqual([expect.stringContaining(`--public-url ${DOCUMENTED_PUBLIC_URL}`)]);
    const initRun = runBlock(
      init.map((command) => command.replace(DOCUMENTED_PUBLIC_URL, entryUrl)),
      sandbox.dir,
    );
    if (initRun.status !== 0) throw new Error(`${PAGE} compose-shared-db-init failed:\n${initRun.output}`);
    addAdmin(join(sandbox.dir, 'deploy'));

    expect(docsCommands('docs/compose.md', 'compose-shared-db-up')).toEqual([
      'cd compose',
      `docker compose -f ${FILE} up -d --wait`,
    ]);
    variables = composeVariables(join(sandbox.dir, 'deploy'), {
      ENTRY_POINT_PUBLISH: entry.publish,
      MSK_REGISTRY: images.registry,
    });
    environment = await new DockerComposeEnvironment(join(sandbox.dir, 'compose'), [
      FILE,
      join(__dirname, 'fixtures', 'compose.publish-nodes.yml'),
    ])
      .withProjectName(PROJECT)
      .withEnvironment({ ...variables, NODE_PUBLISH_ADDRESS: entry.address })
      .up()
      .catch((error: unknown) => {
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\n${composeLogTails(PROJECT, ['postgres', 'app-1', 'sync-1', 'app-2'])}`,
        );
      });
    await waitHealthy(['postgres', 'app-1', 'app-2', 'entry-point']);
  });

  afterAll(async () => {
    await environment?.down().catch(() => undefined);
    images?.remove();
    sandbox?.remove();
  });

  /** The compose services with a health check, healthy (the apps only once they reach the database). */
  async function waitHealthy(services: readonly string[]): Promise<void> {
    await eventually(
      async () => {
        const states = Object.fromEntries(services.map((service) => [service, healthOf(containerName(service))]));
        if (Object.values(states).some((state) => state !== 'healthy')) throw new Error(JSON.stringify(states));
      },
      { what: `${services.join(', ')} healthy`, timeoutMs: HEALTHY_TIMEOUT_MS },
    );
  }

  async function createBusiness(n: number, session: SignedInSession, name: string): Promise<void> {
    const created = await fetch(`${nodeUrl(n)}/api/businesses`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json', origin: nodeUrl(n) },
      body: JSON.stringify({ name, type: 'retail' }),
    });
    expect({ name, status: created.status }).toEqual({ name, status: 201 });
  }

  async function businessesAt(n: number, session: SignedInSession): Promise<string> {
    const listed = await fetch(`${nodeUrl(n)}/api/businesses`, { headers: { cookie: session.cookie } });
    const text = await listed.text();
    if (listed.status !== 200) throw new Error(`node ${n}: HTTP ${listed.status} ${text.slice(0, 200)}`);
    return text;
  }

  it("runs both nodes' app and sync service, the entry point and ONE PostgreSQL, which both nodes' URLs name", () => {
    const running = execFileSync(
      'docker',
      ['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}'],
      { encoding: 'utf8' },
    );
    expect(running.trim().split('\n').sort()).toEqual(SERVICES.map(containerName).sort());
    const deploy = join(sandbox.dir, 'deploy');
    const env = (file: string) =>
      Object.fromEntries(parseEnvFile(readFileSync(join(deploy, file), 'utf8')).entries.map((e) => [e.key, e.value]));
    expect(env('shared.env').DATABASE_TOPOLOGY).toBe('shared');
    for (const file of ['node-1.env', 'node-2.env']) {
      expect(env(file)).toMatchObject({
        DATABASE_URL: 'postgresql://msk_app@postgres:5432/multi_business_db',
        SYNC_DATABASE_URL: 'postgresql://msk_sync@postgres:5432/multi_business_db',
      });
    }
  });

  it('accepts a login made on node 1 as a session on node 2 and through the entry point', async () => {
    const session = await signIn(nodeUrl(1), ADMIN.email, ADMIN.password);
    expect((await sessionAt(nodeUrl(2), session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(entryUrl, session)).user?.email).toBe(ADMIN.email);
  });

  it('made the first admin once', async () => {
    expect(await superuserQuery(`SELECT count(*) FROM users WHERE email = '${ADMIN.email}'`)).toBe('1');
  });

  it('reads a business written through node 1 through node 2 at once (no waiting: one database)', async () => {
    const name = `Shared at once ${Date.now()}`;
    const session = await signIn(nodeUrl(1), ADMIN.email, ADMIN.password);
    await createBusiness(1, session, name);
    expect(await businessesAt(2, session)).toContain(name);
  });

  it('compose-shared-db-status: both sync services say the database is shared with the other node, "Peers Connected: 1"', async () => {
    const status = docsCommands('docs/compose.md', 'compose-shared-db-status');
    const sync1 = await eventually(
      async () => {
        const result = runBlock(status, sandbox.dir, { ...variables, COMPOSE_PROJECT_NAME: PROJECT });
        if (
          result.status !== 0 ||
          !result.output.includes('Peers Connected: 1') ||
          !result.output.includes('Database: shared with node-2')
        )
          throw new Error(result.output);
        return result.output;
      },
      { what: `${PAGE} compose-shared-db-status saying shared with node-2`, timeoutMs: 60_000 },
    );
    expect(sync1).toContain('DATABASE_TOPOLOGY=shared, capture and replication off');
    await eventually(
      async () => {
        const { exitCode, output } = await container('sync-2').exec(SERVICE_STATUS_COMMAND);
        if (
          exitCode !== 0 ||
          !output.includes('Peers Connected: 1') ||
          !output.includes('Database: shared with node-1')
        )
          throw new Error(output);
      },
      { what: 'service:status in sync-2 saying shared with node-1', timeoutMs: 60_000 },
    );
  });

  it("has no capture trigger on the app's tables and no change log (replication is off)", async () => {
    const triggers = await superuserQuery(
      "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal",
    );
    expect(triggers).toBe('');
    expect(
      await superuserQuery(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'msk_sync' AND c.relkind = 'r'",
      ),
    ).toBe('0');
  });

  it('loses no acknowledged write across a restart of app-1 and then of the database; the session survives both', async () => {
    const session = await signIn(nodeUrl(1), ADMIN.email, ADMIN.password);
    const stamp = Date.now();
    const written: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const name = `Durable ${stamp} ${i}`;
      await createBusiness(i % 2 === 0 ? 1 : 2, session, name);
      written.push(name);
    }

    execFileSync('docker', ['restart', containerName('app-1')]);
    await waitHealthy(['app-1']);
    const afterApp = await businessesAt(1, session);
    expect(written.filter((name) => !afterApp.includes(name))).toEqual([]);

    execFileSync('docker', ['restart', containerName('postgres')]);
    await waitHealthy(['postgres', 'app-1', 'app-2']);
    for (const n of [1, 2]) {
      const listed = await eventually(() => businessesAt(n, session), {
        what: `node ${n} serving businesses after the database restart`,
        timeoutMs: 60_000,
      });
      expect({ node: n, missing: written.filter((name) => !listed.includes(name)) }).toEqual({ node: n, missing: [] });
    }
    const after = `Durable ${stamp} after the restarts`;
    await createBusiness(2, session, after);
    expect(await businessesAt(1, session)).toContain(after);
    expect(await superuserQuery(`SELECT count(*) FROM businesses WHERE name LIKE 'Durable ${stamp} %'`)).toBe(
      String(written.length + 1),
    );
  });

  it("compose-shared-db-down: stops and removes the containers, keeps the database's volume", () => {
    const result = runBlock(docsCommands('docs/compose.md', 'compose-shared-db-down'), sandbox.dir, {
      ...variables,
      COMPOSE_PROJECT_NAME: PROJECT,
    });
    expect({ status: result.status, output: result.status === 0 ? '' : result.output }).toEqual({
      status: 0,
      output: '',
    });
    const left = execFileSync(
      'docker',
      ['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}'],
      { encoding: 'utf8' },
    );
    expect(left.trim()).toBe('');
    const volumes = execFileSync(
      'docker',
      ['volume', 'ls', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Name}}'],
      { encoding: 'utf8' },
    );
    expect(volumes.trim()).toBe(`${PROJECT}_postgres-data`);
  });
});

function healthOf(containerName: string): string {
  const result = spawnSync(
    'docker',
    ['inspect', '--format', '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', containerName],
    { encoding: 'utf8' },
  );
  return result.status === 0 ? result.stdout.trim() : `missing (${result.stderr.trim()})`;
}
