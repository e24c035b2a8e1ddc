/**
 * Secrets never appear in what a cluster shows: the supervisor's output, every node's log files, each sync
 * service's /status and /metrics, `service:status`, doctor, and the synthesized manifests (kubernetes/, charts/).
 * The cluster is exercised first (sign-ins that work, fail and are limited, a foreign cookie, a peer with the wrong
 * key) so the logs hold the error paths too. The one exception, by design: on first run the supervisor prints the
 * generated admin password once (`    password <value>`); exactly that line is left out of the search.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readEnvFile, startLocalCluster, type StartedLocalCluster } from '@msk/kit/cluster';
import { signIn } from '../support/sessionClient';

const ADDRESS_BLOCK = 11;
const REPO_ROOT = join(__dirname, '..', '..');
const SECRET_VARIABLES = [
  'NEXTAUTH_SECRET',
  'SYNC_REGISTRATION_KEY',
  'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
  'DATABASE_PASSWORD',
  'SYNC_DATABASE_PASSWORD',
] as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function run(script: string, args: string[], cwd: string): string {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, script), ...args], {
    encoding: 'utf8',
    cwd,
    timeout: 60_000,
  });
  return `${result.stdout}${result.stderr}`;
}

describe('secrets in a running local cluster', () => {
  let cluster: StartedLocalCluster;
  /** Where each captured text came from → the text. */
  const captured = new Map<string, string>();
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK });
    const state = await cluster.state();
    const shared = readEnvFile(join(state.configDir, 'shared.env'));
    for (const name of SECRET_VARIABLES) if (shared[name]) secrets.set(name, shared[name]);
    secrets.set('ADMIN_PASSWORD', readEnvFile(join(state.configDir, 'admin.env')).ADMIN_PASSWORD as string);
    secrets.set(
      'POSTGRES_PASSWORD',
      readEnvFile(join(state.configDir, 'postgres-superuser.env')).POSTGRES_PASSWORD as string,
    );

    // Exercise the error paths so their log lines exist.
    await signIn(cluster.entryUrl, cluster.admin.email, cluster.admin.password);
    for (let i = 0; i < 7; i++)
      await signIn(cluster.entryUrl, cluster.admin.email, `wrong-${i}`).catch(() => undefined);
    const foreign = `next-auth.session-token=${randomBytes(200).toString('base64url')}`;
    for (const node of state.nodes) await fetch(`${node.appUrl}/api/auth/session`, { headers: { cookie: foreign } });
    const node1 = state.nodes[0]!;
    await fetch(`${node1.syncUrl}/sync/v1/handshake/hello`, {
      method: 'POST',
      body: '{"not":"a hello"}',
      headers: { 'content-type': 'application/json' },
    });

    for (const node of state.nodes) {
      for (const route of ['/status', '/metrics'])
        captured.set(`${node.name} sync ${route}`, await (await fetch(node.syncUrl + route)).text());
    }
    captured.set(
      'service:status',
      run('sync/dist/cli/main.js', ['status', '--cluster', cluster.dataDir], cluster.dataDir),
    );
    captured.set('doctor', run('kit/dist/cli/main.js', ['doctor', state.configDir], cluster.dataDir));
    captured.set('doctor --json', run('kit/dist/cli/main.js', ['doctor', '--json', state.configDir], cluster.dataDir));
    for (const dir of ['kubernetes', 'charts'])
      for (const file of filesUnder(join(REPO_ROOT, dir))) captured.set(file, readFileSync(file, 'utf8'));
    // Give the log files a moment to receive the last lines, then read every node's.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const node of state.nodes) {
      for (const name of readdirSync(node.logDir).filter((n) => n.endsWith('.log')))
        captured.set(join(node.logDir, name), readFileSync(join(node.logDir, name), 'utf8'));
    }
    captured.set('supervisor output', cluster.output());
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('knows the secrets it looks for, and captured every kind of output', () => {
    expect([...secrets.keys()].sort()).toEqual([...SECRET_VARIABLES, 'ADMIN_PASSWORD', 'POSTGRES_PASSWORD'].sort());
    for (const value of secrets.values()) expect(value.length).toBeGreaterThanOrEqual(12);
    const sources = [...captured.keys()];
    expect(sources.filter((s) => /node-\d+\/logs\/.*\.log$/.test(s)).length).toBeGreaterThanOrEqual(4);
    expect(captured.get('service:status')).toMatch(/Peers Connected: 1/);
    expect(captured.get('doctor')).toMatch(/fp:[0-9a-f]{8}/);
    expect(sources.some((s) => s.includes('kubernetes'))).toBe(true);
    expect(sources.some((s) => s.includes('charts'))).toBe(true);
    const logs = sources
      .filter((s) => s.endsWith('.log'))
      .map((s) => captured.get(s))
      .join('\n');
    expect(logs).toMatch(/JWT_SESSION_ERROR/);
    expect(logs).toMatch(/too many failed attempts/);
  });

  it('prints the generated admin password exactly once, on its own line, in the supervisor output meant for people', () => {
    const lines = (captured.get('supervisor output') as string).split('\n');
    expect(lines.filter((line) => line.includes(secrets.get('ADMIN_PASSWORD') as string))).toEqual([
      `    password ${secrets.get('ADMIN_PASSWORD')}`,
    ]);
  });

  it('shows no secret value anywhere else', () => {
    const adminPasswordLine = `    password ${secrets.get('ADMIN_PASSWORD')}`;
    const leaks: string[] = [];
    for (const [source, text] of captured) {
      const searched =
        source === 'supervisor output'
          ? text
              .split('\n')
              .filter((line) => line !== adminPasswordLine)
              .join('\n')
          : text;
      for (const [name, value] of secrets) if (searched.includes(value)) leaks.push(`${name} in ${source}`);
    }
    expect(leaks).toEqual([]);
  });
});
