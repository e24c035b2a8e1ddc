/**
 * A second, different app through the chart on the real cluster: examples/field-desk (port 3000, Auth.js v5 variable
 * names, its own tables with a foreign key and a unique column, none of the reference app's endpoints), its image
 * built once the way the project's images reach the cluster, installed with the values and commands of
 * docs/your-app.md: the app image, port, command, probe paths (liveness on NextAuth's /api/auth/providers,
 * readiness from the sync service), its variables under its own names and REPLICATED_TABLES. Both pods are Ready,
 * every sync service says "Peers Connected: 1", a login on pod 0 is a session on pod 1 (and the chart's own
 * `helm test` passes), and rows written through pod 0 (a team, then a technician that refers to it) are read
 * through pod 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { docsCommands, fencedBlocks, REPOSITORY_ROOT } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { type SignedInSession, sessionAt } from '../support/sessionClient';
import { buildExampleAppImage, type ExampleAppImage } from '../support/exampleAppImage';
import { helm } from './support/kubectl';
import { Installation } from './support/installation';
import { ADMIN, signInAsAdmin } from './support/platformApi';
import { runDocs } from './support/runDocs';
import { REPO_ROOT, initSecret, postgresImage, restrictedNamespaceYaml, type TestSecret } from './support/testManifests';

const execFileAsync = promisify(execFile);

const NAMESPACE = 'msk-example-app';
const RELEASE = 'desk';
const REPLICAS = 2;
const APP_PORT = 3000;
const IMAGE_REPOSITORY = 'msk-test/field-desk';
const READY_TIMEOUT_MS = 900_000;
const PEERS_TIMEOUT_MS = 180_000;
const REPLICATION_TIMEOUT_MS = 120_000;

/** The values file docs/your-app.md shows (its yaml block that starts with `# my-app-values.yaml`). */
function documentedValues(): string {
  const page = readFileSync(join(REPOSITORY_ROOT, 'docs', 'your-app.md'), 'utf8');
  const block = fencedBlocks(page).find((b) => b.language === 'yaml' && b.body[0] === '# my-app-values.yaml');
  if (!block) throw new Error('docs/your-app.md has no yaml block starting with "# my-app-values.yaml"');
  return block.body.join('\n');
}

/** Field Desk's JSON API (a signed-in user): create answers 201 with the row, list answers the rows. */
async function create(appUrl: string, session: SignedInSession, path: string, body: Record<string, string>): Promise<{ id: string }> {
  const response = await fetch(`${appUrl}${path}`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${appUrl}${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as { id: string };
}

async function listed(appUrl: string, session: SignedInSession, path: string): Promise<{ id: string }[]> {
  const response = await fetch(`${appUrl}${path}`, { headers: { cookie: session.cookie }, signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) throw new Error(`GET ${appUrl}${path}: HTTP ${response.status}`);
  return (await response.json()) as { id: string }[];
}

describe('another team\'s app (examples/field-desk) through the chart on a real cluster, as docs/your-app.md installs it', () => {
  const tool = helm();
  const installation = new Installation(NAMESPACE, `${RELEASE}-multi-server-kit`, RELEASE, ['app', 'sync', 'postgres'], APP_PORT);
  const kubectl = installation.kubectl;
  let work: string;
  let image: ExampleAppImage | undefined;
  let secret: TestSecret | undefined;
  let installOutput = '';

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'msk-example-app-'));
    image = await buildExampleAppImage(IMAGE_REPOSITORY);
    await execFileAsync('bash', [join(REPO_ROOT, '.ci', 'kubernetes', 'load-images.sh'), image.name]);
    await kubectl.ok(['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=300s']);
    await kubectl.ok(['apply', '-f', '-'], restrictedNamespaceYaml(NAMESPACE));
    secret = initSecret('http://desk.example.com');
    await kubectl.ok(['apply', '-n', NAMESPACE, '-f', '-'], secret.withAdminYaml);

    const variables = { RELEASE, NAMESPACE, VALUES: join(work, 'my-app-values.yaml') };
    // the documented values file, and what this offline cluster needs on top of it: the image just built (no
    // registry), the PostgreSQL image it has, and small CPU requests (two cores)
    const values = parse(documentedValues()) as Record<string, Record<string, unknown>>;
    const postgres = postgresImage();
    const small = (memory: string) => ({ requests: { cpu: '50m', memory }, limits: { cpu: '1000m', memory: '1024Mi' } });
    values.image = {
      app: { repository: image.repository, tag: image.tag },
      postgres: { repository: postgres.slice(0, postgres.lastIndexOf(':')), tag: postgres.slice(postgres.lastIndexOf(':') + 1) },
    };
    values.resources = { app: small('256Mi'), sync: small('128Mi'), postgres: small('256Mi') };
    writeFileSync(variables.VALUES, stringify(values));
    installOutput = await runDocs(docsCommands('docs/your-app.md', 'your-app-install'), variables).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await installation.diagnostics()}`);
    });
  });

  afterAll(async () => {
    await tool.attempt(['uninstall', RELEASE, '-n', NAMESPACE, '--wait']);
    await kubectl.attempt(['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=300s']);
    secret?.deploy.remove();
    await image?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`runs ${REPLICAS} Ready pods of the app's image on port ${APP_PORT}, probed on its own path, ready through the sync service`, async () => {
    expect(installOutput).toContain('STATUS: deployed');
    const pods = await installation.waitReady(REPLICAS, READY_TIMEOUT_MS);
    expect(pods.map((p) => p.name)).toEqual([installation.podName(0), installation.podName(1)]);
    const statefulSet = await kubectl.json<{ spec: { template: { spec: { containers: Record<string, unknown>[] } } } }>(['-n', NAMESPACE, 'get', 'statefulset', installation.statefulSet]);
    const app = statefulSet.spec.template.spec.containers.find((c) => c.name === 'app') as Record<string, unknown>;
    expect(app.image).toBe(`${image?.repository}:${image?.tag}`);
    expect(app.ports).toContainEqual({ name: 'http', containerPort: APP_PORT, protocol: 'TCP' });
    expect(app).toMatchObject({
      livenessProbe: { httpGet: { path: '/api/auth/providers', port: APP_PORT } },
      // no readiness path of its own: ready when live; the sync container's /ready gates the pod
      readinessProbe: { httpGet: { path: '/api/auth/providers', port: APP_PORT } },
    });
    const sync = statefulSet.spec.template.spec.containers.find((c) => c.name === 'sync') as { env: { name: string; value?: string }[] };
    expect(sync.env.find((e) => e.name === 'REPLICATED_TABLES')?.value).toBe('desk_users,teams,technicians,work_orders');
    expect(sync.env.find((e) => e.name === 'SYNC_HTTP_PORT')?.value).toBe(String(APP_PORT));
  });

  it(`says "Peers Connected: ${REPLICAS - 1}" on every pod (the docs' status command too), each its own node`, async () => {
    expect(installOutput).toMatch(/Peers Connected: \d/);
    const ids = new Set<string>();
    for (let ordinal = 0; ordinal < REPLICAS; ordinal += 1) {
      const status = await installation.waitPeersConnected(ordinal, REPLICAS - 1, PEERS_TIMEOUT_MS);
      expect(status.nodeName).toBe(installation.podName(ordinal));
      ids.add(status.nodeId);
    }
    expect(ids.size).toBe(REPLICAS);
  });

  it('accepts a login made on pod 0 (its seeded user, password from the Secret under its own variable name) as a session on pod 1', async () => {
    const session = await signInAsAdmin(await installation.appUrl(0));
    expect((await sessionAt(await installation.appUrl(0), session)).user?.email).toBe(ADMIN.email);
    expect((await sessionAt(await installation.appUrl(1), session)).user?.email).toBe(ADMIN.email);
  });

  it('passes the chart\'s own `helm test` (peers on every pod, a session made on pod 0 accepted by pod 1) on this app', async () => {
    const tested = await tool.attempt(['test', RELEASE, '-n', NAMESPACE, '--timeout', '10m']);
    expect(tested).toMatchObject({ exitCode: 0 });
    expect(tested.stdout).toMatch(/Phase: +Succeeded/);
  });

  it('reads rows written through pod 0 through pod 1: a team, and a technician whose foreign key refers to it', async () => {
    const pod0 = await installation.appUrl(0);
    const pod1 = await installation.appUrl(1);
    const session = await signInAsAdmin(pod0);
    const stamp = Date.now();
    const team = await create(pod0, session, '/api/teams', { name: `Night shift ${stamp}`, region: 'North' });
    const technician = await create(pod0, session, '/api/technicians', { teamId: team.id, fullName: 'Ada Field', email: `ada.${stamp}@example.com` });
    await eventually(
      async () => {
        const teams = await listed(pod1, session, '/api/teams');
        const technicians = await listed(pod1, session, '/api/technicians');
        if (!teams.some((t) => t.id === team.id) || !technicians.some((t) => t.id === technician.id)) {
          throw new Error(`pod 1 lists ${teams.length} teams and ${technicians.length} technicians, not yet the new ones`);
        }
      },
      { what: `team ${team.id} and technician ${technician.id} through ${installation.podName(1)}`, timeoutMs: REPLICATION_TIMEOUT_MS, intervalMs: 1000, context: () => installation.logs(1, 'sync') },
    );
  });
});
