/**
 * compose/docker-compose.yml running ANOTHER team's app, as docs/your-app.md tells a team to: examples/field-desk's
 * image (APP_IMAGE), on port 3000 (APP_PORT), health-checked on NextAuth's /api/auth/providers (APP_HEALTH_PATH),
 * its own variable names in deploy/app.env and its tables in REPLICATED_TABLES (`init --tables`). Both app
 * containers become healthy with the files' own check (the entry point waits for them), the entry point forwards
 * to port 3000, a login on node 1 is a session on node 2 and through the entry point, a team written on node 1 is
 * read on node 2, and each sync service says "Peers Connected: 1".
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../support/eventually';
import { buildExampleAppImage, type ExampleAppImage } from '../support/exampleAppImage';
import { type SignedInSession, sessionAt, signIn } from '../support/sessionClient';
import { envFileValues, initDeployFolder, testResourceName } from './support/composeProject';
import { type StartedPublishedNodes, composeLogTails, startPublishedNodes } from './support/publishedNodes';
import { ADMIN } from './support/containerSettings';

const PROJECT = testResourceName('compose-any-app');
const APP_PORT = 3000;
const TABLES = ['desk_users', 'teams', 'technicians', 'work_orders'];

describe("compose/docker-compose.yml with another team's app (examples/field-desk) as its settings", () => {
  let app: ExampleAppImage;
  let compose: StartedPublishedNodes;

  beforeAll(async () => {
    app = await buildExampleAppImage(`${PROJECT}/field-desk`);
    compose = await startPublishedNodes({
      project: PROJECT,
      deploy: (entryUrl) => {
        const deploy = initDeployFolder({ publicUrl: entryUrl, tables: TABLES });
        // The app's own variable names (docs/your-app.md, Compose): Field Desk reads Auth.js v5's names and its own.
        const shared = envFileValues(join(deploy.dir, 'shared.env'));
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
        return deploy;
      },
      variables: { APP_IMAGE: app.name, APP_PORT: String(APP_PORT), APP_HEALTH_PATH: '/api/auth/providers' },
      appPort: APP_PORT,
      logServices: ['app-1', 'app-2', 'sync-1', 'entry-point'],
    });
  });
  afterAll(async () => {
    await compose?.stop();
    await app?.remove();
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
    const session = await eventually(() => signIn(compose.nodeUrl(1), ADMIN.email, ADMIN.password), {
      what: 'sign-in on node 1',
      timeoutMs: 60_000,
    });
    expect((await sessionAt(compose.nodeUrl(2), session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(compose.entryUrl, session)).user?.email).toBe(ADMIN.email);
  });

  it('replicates a team written on node 1 to node 2 (its tables, from REPLICATED_TABLES)', async () => {
    const session: SignedInSession = await signIn(compose.nodeUrl(1), ADMIN.email, ADMIN.password);
    const created = await fetch(`${compose.nodeUrl(1)}/api/teams`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `Compose crew ${Date.now()}`, region: 'East' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await eventually(
      async () => {
        const teams = (await (
          await fetch(`${compose.nodeUrl(2)}/api/teams`, { headers: { cookie: session.cookie } })
        ).json()) as { id: string }[];
        if (!teams.some((t) => t.id === id)) throw new Error(`node 2 lists ${teams.length} teams, not ${id}`);
      },
      {
        what: `team ${id} on node 2`,
        timeoutMs: 60_000,
        context: async () => composeLogTails(PROJECT, ['sync-1', 'sync-2']),
      },
    );
  });

  it('shows "Peers Connected: 1" in service:status inside each sync container', async () => {
    await compose.syncPeersConnected(60_000);
  });
});
