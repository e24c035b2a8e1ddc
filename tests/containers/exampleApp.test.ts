/**
 * Another team's app in containers: examples/field-desk's own image (its Dockerfile, target `prebuilt` filled with
 * the host's standalone build, on the same Node.js base as our images) beside our sync image and a PostgreSQL 17
 * per node, two nodes on one Docker network. The app listens on its own port (3000), reads AUTH_SECRET/AUTH_URL
 * (so does the sync service: the contract's other names for NEXTAUTH_SECRET/NEXTAUTH_URL) and has none of our
 * endpoints; the sync service replicates its tables (REPLICATED_TABLES). A login on node 1 is a session on node 2,
 * a row converges, service:status says "Peers Connected: 1". The image comes from the helper the compose and
 * Kubernetes suites share (tests/support/exampleAppImage.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { GenericContainer, Network, type StartedNetwork, type StartedTestContainer, Wait } from 'testcontainers';
import { generateConfiguration, generateSecrets } from '../../kit/src/init/generateConfiguration';
import { APP_ROLE } from '../../kit/src/postgres/databaseRoles';
import { eventually } from '../support/eventually';
import { type ExampleAppImage, EXAMPLE_APP_DIR, buildExampleAppImage } from '../support/exampleAppImage';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import { ContainerLog, postgresContainer } from './support/containerCluster';
import { publishedOnlyOn, withInit, withReadOnlyRootFilesystem } from './support/containerOptions';
import { SERVICE_STATUS_COMMAND, SYNC_IMAGE, containerHostAddress } from './support/containerSettings';

const { multiServerKit } = JSON.parse(readFileSync(join(EXAMPLE_APP_DIR, 'package.json'), 'utf8')) as {
  multiServerKit: { probePath: string; replicatedTables: string[] };
};
/** The example image's own port (its Dockerfile's PORT), not the reference app's 8080. */
const EXAMPLE_PORT = 3000;
const DATABASE = 'field_desk';
const SEED_USER = { email: 'dispatch@desk.example', password: 'containers-desk-password-1' } as const;
const START_TIMEOUT_MS = 90_000;
const CONVERGE_TIMEOUT_MS = 30_000;

interface ExampleNode {
  readonly name: string;
  readonly appUrl: string;
  readonly app: StartedTestContainer;
  readonly sync: StartedTestContainer;
  logTails(): string;
}

/** The kit's configuration for two nodes (init's code), with the example's tables and the Auth.js v5 names. */
function contractEnvironments(entryUrl: string): Record<string, string>[] {
  const configuration = generateConfiguration(
    {
      nodes: 2,
      publicUrl: entryUrl,
      peers: ['node-1:8765', 'node-2:8765'], // the sync services share their app container's network namespace
      databaseUrl: (n) => `postgresql://${APP_ROLE}@postgres-${n}:5432/${DATABASE}`,
      tables: multiServerKit.replicatedTables,
    },
    generateSecrets(),
  );
  const shared = Object.fromEntries([...configuration.secrets, ...configuration.shared]);
  return configuration.nodes.map((node) => {
    const { NEXTAUTH_SECRET, NEXTAUTH_URL, ...rest } = { ...shared, ...Object.fromEntries(node.values) };
    // One env file per node with the team's own (Auth.js v5) names: the contract reads them as NEXTAUTH_*.
    return {
      ...rest,
      AUTH_SECRET: NEXTAUTH_SECRET as string,
      AUTH_URL: NEXTAUTH_URL as string,
      SYNC_HTTP_PORT: String(EXAMPLE_PORT),
      PORT: String(EXAMPLE_PORT),
    };
  });
}

/** What the example reads: Auth.js v5 names, and DATABASE_URL with its password (it knows no DATABASE_PASSWORD). */
function exampleEnvironment(env: Record<string, string>): Record<string, string> {
  const databaseUrl = new URL(env.DATABASE_URL as string);
  databaseUrl.password = encodeURIComponent(env.DATABASE_PASSWORD as string);
  return {
    AUTH_SECRET: env.AUTH_SECRET as string,
    AUTH_URL: env.AUTH_URL as string,
    DATABASE_URL: databaseUrl.toString(),
    DESK_SEED_EMAIL: SEED_USER.email,
    DESK_SEED_PASSWORD: SEED_USER.password,
  };
}

async function startPostgres(
  index: number,
  env: Record<string, string>,
  network: StartedNetwork,
): Promise<StartedPostgreSqlContainer> {
  return postgresContainer(index, DATABASE, env, network)
    .withName(`i-example-postgres-${index}-${randomBytes(3).toString('hex')}`)
    .start();
}

async function startNode(
  image: ExampleAppImage,
  index: number,
  env: Record<string, string>,
  network: StartedNetwork,
): Promise<ExampleNode> {
  const name = `node-${index}`;
  const appLog = new ContainerLog();
  const syncLog = new ContainerLog();
  const tails = () => `--- ${name} app ---\n${appLog.tail()}\n--- ${name} sync ---\n${syncLog.tail()}`;
  const explain =
    (what: string) =>
    (error: unknown): never => {
      throw new Error(
        `${what} of ${name} did not start: ${error instanceof Error ? error.message : String(error)}\n${tails()}`,
      );
    };
  const app = await publishedOnlyOn(
    withReadOnlyRootFilesystem(
      withInit(
        new GenericContainer(image.name)
          .withName(`i-example-app-${index}-${randomBytes(3).toString('hex')}`)
          .withNetwork(network)
          .withNetworkAliases(name)
          .withEnvironment(exampleEnvironment(env))
          .withTmpFs({ '/tmp': 'rw,mode=1777', '/app/.next/cache': 'rw,mode=1777' })
          .withExposedPorts(EXAMPLE_PORT)
          .withLogConsumer(appLog.consume)
          .withWaitStrategy(Wait.forHttp(multiServerKit.probePath, EXAMPLE_PORT).forStatusCode(200))
          .withStartupTimeout(START_TIMEOUT_MS),
      ),
    ),
    containerHostAddress(),
  )
    .start()
    .catch(explain('the example app container'));
  const sync = await withReadOnlyRootFilesystem(
    withInit(
      new GenericContainer(SYNC_IMAGE)
        .withName(`i-example-sync-${index}-${randomBytes(3).toString('hex')}`)
        .withNetworkMode(`container:${app.getId()}`)
        .withEnvironment(env)
        .withTmpFs({ '/tmp': 'rw,mode=1777' })
        .withLogConsumer(syncLog.consume)
        .withWaitStrategy(Wait.forLogMessage(/sync service listening/))
        .withStartupTimeout(START_TIMEOUT_MS),
    ),
  )
    .start()
    .catch(explain('the sync container'));
  return { name, appUrl: `http://${app.getHost()}:${app.getMappedPort(EXAMPLE_PORT)}`, app, sync, logTails: tails };
}

describe('examples/field-desk in containers: its image, our sync image, a PostgreSQL 17 per node', () => {
  let network: StartedNetwork;
  let image: ExampleAppImage;
  const databases: StartedPostgreSqlContainer[] = [];
  const nodes: ExampleNode[] = [];
  const node = (index: number) => nodes[index - 1] as ExampleNode;
  const allTails = () => nodes.map((n) => n.logTails()).join('\n');

  beforeAll(async () => {
    image = await buildExampleAppImage('i-example/field-desk');
    network = await new Network().start();
    // AUTH_URL: the one public URL; here node 1's address on the network (the tests reach each node directly).
    const environments = contractEnvironments(`http://node-1:${EXAMPLE_PORT}`);
    databases.push(...(await Promise.all(environments.map((env, i) => startPostgres(i + 1, env, network)))));
    nodes.push(...(await Promise.all(environments.map((env, i) => startNode(image, i + 1, env, network)))));
  });
  afterAll(async () => {
    await Promise.all(
      nodes.map(async (n) => {
        await n.sync.stop();
        await n.app.stop();
      }),
    );
    await Promise.all(databases.map((database) => database.stop()));
    await network?.stop();
    await image?.remove();
  });

  it('runs the image as its Dockerfile says: non-root, port 3000, no test code, none of our endpoints', async () => {
    const { output } = await node(1).app.exec(['sh', '-c', 'id -u; echo "$PORT"; ls /app; ls /app/migrations']);
    expect(output.split('\n')).toEqual(expect.arrayContaining(['1001', '3000', 'server.js', '001_field_desk.sql']));
    expect(output).not.toMatch(/test/i);
    for (const path of ['/api/health', '/api/ready', '/api/build'])
      expect((await fetch(`${node(1).appUrl}${path}`)).status).toBe(404);
  });

  it('accepts a login made on node 1 as a session on node 2', async () => {
    const session = await signIn(node(1).appUrl, SEED_USER.email, SEED_USER.password);
    expect((await sessionAt(node(1).appUrl, session)).user?.email).toBe(SEED_USER.email);
    expect((await sessionAt(node(2).appUrl, session)).user?.email).toBe(SEED_USER.email);
  });

  it('shows "Peers Connected: 1" in service:status inside each sync container', async () => {
    for (const each of nodes) {
      await eventually(
        async () => {
          const { exitCode, output } = await each.sync.exec(SERVICE_STATUS_COMMAND);
          if (exitCode !== 0 || !output.includes('Peers Connected: 1')) throw new Error(`exit ${exitCode}:\n${output}`);
        },
        {
          what: `service:status in ${each.name}'s sync container showing "Peers Connected: 1"`,
          timeoutMs: CONVERGE_TIMEOUT_MS,
          context: allTails,
        },
      );
    }
  });

  it('shows a team and its technician created on node 1 on node 2', async () => {
    const onNode1 = await signIn(node(1).appUrl, SEED_USER.email, SEED_USER.password);
    const post = async (session: SignedInSession, path: string, body: unknown) => {
      const response = await fetch(`${node(1).appUrl}${path}`, {
        method: 'POST',
        headers: { cookie: session.cookie, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { id: string } };
    };
    const team = await post(onNode1, '/api/teams', { name: 'Harbour crew', region: 'Docks' });
    expect(team.status).toBe(201);
    const technician = await post(onNode1, '/api/technicians', {
      teamId: team.body.id,
      fullName: 'Cy Spanner',
      email: 'cy@desk.example',
    });
    expect(technician.status).toBe(201);

    const onNode2 = await signIn(node(2).appUrl, SEED_USER.email, SEED_USER.password);
    const onTwo = await eventually(
      async () => {
        const response = await fetch(`${node(2).appUrl}/api/technicians`, { headers: { cookie: onNode2.cookie } });
        const list = (await response.json()) as Array<{ id: string; teamId: string; email: string }>;
        const found = list.find((t) => t.id === technician.body.id);
        if (!found) throw new Error(`technician ${technician.body.id} not on node 2 yet (HTTP ${response.status})`);
        return found;
      },
      { what: 'the technician on node 2', timeoutMs: CONVERGE_TIMEOUT_MS, context: allTails },
    );
    expect(onTwo).toEqual({
      id: technician.body.id,
      teamId: team.body.id,
      fullName: 'Cy Spanner',
      email: 'cy@desk.example',
    });
  });
});
