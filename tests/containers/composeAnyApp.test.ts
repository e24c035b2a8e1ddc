/**
 * compose/docker-compose.yml running ANOTHER team's app, as docs/your-app.md tells a team to: examples/field-desk's
 * image (APP_IMAGE), on port 3000 (APP_PORT), health-checked on NextAuth's /api/auth/providers (APP_HEALTH_PATH),
 * its own variable names in deploy/app.env and its tables in REPLICATED_TABLES (`init --tables`). Both app
 * containers become healthy with the files' own check (the entry point waits for them), the entry point forwards
 * to port 3000, a login on node 1 is a session on node 2 and through the entry point, a team written on node 1 is
 * read on node 2, and each sync service says "Peers Connected: 1".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DockerComposeEnvironment,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
} from 'testcontainers';
import { parseEnvFile } from '@msk/contract/envFile';
import { eventually } from '../support/eventually';
import { buildExampleAppImage, type ExampleAppImage } from '../support/exampleAppImage';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import {
  type DeployFolder,
  type PinnedImages,
  composeVariables,
  initDeployFolder,
  pinProjectImages,
  testResourceName,
} from './support/composeProject';
import { ADMIN, COMPOSE_DIR, SERVICE_STATUS_COMMAND, containerHostAddress } from './support/containerSettings';
import { freePort } from '@msk/kit/testing';

const PROJECT = testResourceName('compose-any-app');
const APP_PORT = 3000;
const TABLES = ['desk_users', 'teams', 'technicians', 'work_orders'];

function envValues(path: string): Record<string, string> {
  return Object.fromEntries(parseEnvFile(readFileSync(path, 'utf8')).entries.map((entry) => [entry.key, entry.value]));
}

function serviceLogTails(services: readonly string[]): string {
  return services
    .map((service) => {
      const log = spawnSync('docker', ['logs', '--tail', '25', `${PROJECT}-${service}-1`], { encoding: 'utf8' });
      return `--- ${service} ---\n${log.stdout}${log.stderr}`;
    })
    .join('\n');
}

describe("compose/docker-compose.yml with another team's app (examples/field-desk) as its settings", () => {
  let deploy: DeployFolder;
  let images: PinnedImages;
  let app: ExampleAppImage;
  let environment: StartedDockerComposeEnvironment;
  let entryUrl: string;
  const container = (service: string): StartedTestContainer => environment.getContainer(`${service}-1`);
  const nodeUrl = (n: number) => {
    const holder = container(`node-${n}`);
    return `http://${holder.getHost()}:${holder.getMappedPort(APP_PORT)}`;
  };

  beforeAll(async () => {
    app = await buildExampleAppImage(`${PROJECT}/field-desk`);
    const address = containerHostAddress();
    const entryPort = await freePort(address);
    entryUrl = `http://${address}:${entryPort}`;
    deploy = initDeployFolder({ publicUrl: entryUrl, tables: TABLES });
    // The app's own variable names (docs/your-app.md, Compose): Field Desk reads Auth.js v5's names and its own.
    const shared = envValues(join(deploy.dir, 'shared.env'));
    writeFileSync(
      join(deploy.dir, 'app.env'),
      [
        `AUTH_SECRET=${shared.NEXTAUTH_SECRET}`,
        `AUTH_URL=${shared.NEXTAUTH_URL}`,
        `PGPASSWORD=${shared.DATABASE_PASSWORD}`,
        `DESK_SEED_EMAIL=${ADMIN.email}`,
        `DESK_SEED_PASSWORD=${ADMIN.password}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    images = pinProjectImages();
    environment = await new DockerComposeEnvironment(COMPOSE_DIR, [
      'docker-compose.yml',
      join(__dirname, 'fixtures', 'compose.publish-nodes.yml'),
    ])
      .withProjectName(PROJECT)
      .withEnvironment(
        composeVariables(deploy.dir, {
          ENTRY_POINT_PUBLISH: `${address}:${entryPort}`,
          NODE_PUBLISH_ADDRESS: address,
          MSK_REGISTRY: images.registry,
          APP_IMAGE: app.name,
          APP_PORT: String(APP_PORT),
          APP_HEALTH_PATH: '/api/auth/providers',
        }),
      )
      .up()
      .catch((error: unknown) => {
        throw new Error(
          `${error instanceof Error ? error.message : String(error)}\n${serviceLogTails(['app-1', 'app-2', 'sync-1', 'entry-point'])}`,
        );
      });
  });
  afterAll(async () => {
    await environment?.down();
    images?.remove();
    await app?.remove();
    deploy?.remove();
  });

  it("runs the app's image, healthy by the files' own check on its path and port", () => {
    for (const n of [1, 2]) {
      const name = `${PROJECT}-app-${n}-1`;
      expect(
        execFileSync('docker', ['inspect', '--format', '{{.Config.Image}} {{.State.Health.Status}}', name], {
          encoding: 'utf8',
        }).trim(),
      ).toBe(`${app.name} healthy`);
    }
  });

  it('accepts a login made on node 1 (the seeded user) as a session on node 2 and through the entry point, which forwards to port 3000', async () => {
    const session = await eventually(() => signIn(nodeUrl(1), ADMIN.email, ADMIN.password), {
      what: 'sign-in on node 1',
      timeoutMs: 60_000,
    });
    expect((await sessionAt(nodeUrl(2), session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(entryUrl, session)).user?.email).toBe(ADMIN.email);
  });

  it('replicates a team written on node 1 to node 2 (its tables, from REPLICATED_TABLES)', async () => {
    const session: SignedInSession = await signIn(nodeUrl(1), ADMIN.email, ADMIN.password);
    const created = await fetch(`${nodeUrl(1)}/api/teams`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Compose crew ${Date.now()}`, region: 'East' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await eventually(
      async () => {
        const teams = (await (
          await fetch(`${nodeUrl(2)}/api/teams`, { headers: { cookie: session.cookie } })
        ).json()) as { id: string }[];
        if (!teams.some((t) => t.id === id)) throw new Error(`node 2 lists ${teams.length} teams, not ${id}`);
      },
      { what: `team ${id} on node 2`, timeoutMs: 60_000, context: async () => serviceLogTails(['sync-1', 'sync-2']) },
    );
  });

  it('shows "Peers Connected: 1" in service:status inside each sync container', async () => {
    for (const service of ['sync-1', 'sync-2']) {
      await eventually(
        async () => {
          const { exitCode, output } = await container(service).exec(SERVICE_STATUS_COMMAND);
          if (exitCode !== 0 || !output.includes('Peers Connected: 1')) throw new Error(output);
        },
        { what: `service:status in ${service} showing "Peers Connected: 1"`, timeoutMs: 60_000 },
      );
    }
  });
});
