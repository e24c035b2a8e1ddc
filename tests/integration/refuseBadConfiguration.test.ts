/**
 * Every class of invalid value in the env contract makes each part that reads the variable refuse to start: the
 * real compiled sync service (`node sync/dist/cli/main.js run`) and the real app server (the built standalone
 * server.js). Each must exit with code 1 before serving anything, name the variable in its message, and print no
 * secret: neither the valid secrets of the rest of the environment nor a bad value given to a secret variable.
 * Addresses: 127.0.11.20-21.
 *
 * Two values the app cannot refuse, because Next.js's standalone server.js replaces them before any app code runs:
 * NODE_ENV (forced to "production") and PORT (`parseInt(PORT) || 8080`, so PORT=0 silently becomes 8080). Their
 * rows check the sync service only (PORT: no row, sync does not read it).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { variable } from '@msk/contract';
import { runAppServerExpectingExit } from '../../app/src/testing/appServer';
import { ensureStandaloneBuild } from '../../app/src/testing/standaloneBuild';

const SYNC_MAIN = join(__dirname, '..', '..', 'sync', 'dist', 'cli', 'main.js');
const DATABASE_URL_PASSWORD = randomBytes(12).toString('hex');

/** A complete, valid environment for both parts; each row spoils one variable. */
const VALID: Readonly<Record<string, string>> = {
  NEXTAUTH_SECRET: randomBytes(32).toString('base64'),
  NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  SYNC_REGISTRATION_KEY: randomBytes(32).toString('hex'),
  DATABASE_PASSWORD: randomBytes(24).toString('hex'),
  ADMIN_PASSWORD: randomBytes(12).toString('hex'),
  ADMIN_EMAIL: 'admin@example.com',
  SYNC_NODE_ID: randomBytes(8).toString('hex'),
  SYNC_NODE_NAME: 'server-1',
  NEXTAUTH_URL: 'http://127.0.11.20:8080',
  // Nothing listens there: a part that failed to refuse would fail later, for another reason, with another message.
  DATABASE_URL: `postgresql://msk:${DATABASE_URL_PASSWORD}@127.0.11.29:5432/multi_business_db`,
  NODE_ENV: 'production',
  HOSTNAME: '127.0.11.20',
  PORT: '8080',
  SYNC_BIND_ADDRESS: '127.0.11.21',
  SYNC_SERVICE_PORT: '8765',
  SYNC_PEERS: '127.0.11.22:8765',
  SYNC_LOG_LEVEL: 'info',
  REPLICATED_TABLES: 'users,businesses,employees',
};
const VALID_SECRETS = [
  ...[
    'NEXTAUTH_SECRET',
    'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
    'SYNC_REGISTRATION_KEY',
    'DATABASE_PASSWORD',
    'ADMIN_PASSWORD',
  ].map((name) => VALID[name] as string),
  DATABASE_URL_PASSWORD,
];

interface Row {
  readonly kind: string;
  readonly name: string;
  /** undefined: the variable is left unset. */
  readonly value: string | undefined;
  /** What the message says about it (after "error: NAME"). */
  readonly says: RegExp;
  /** Parts that cannot see the value (see the top of the file); the rest of the variable's readers must refuse. */
  readonly notSeenBy?: 'app';
}

const ROWS: readonly Row[] = [
  { kind: 'required and missing', name: 'NEXTAUTH_SECRET', value: undefined, says: /is not set/ },
  { kind: 'weak secret', name: 'NEXTAUTH_SECRET', value: 'password-password', says: /./ },
  {
    kind: 'secret list with spaces',
    name: 'NEXTAUTH_SECRET_PREVIOUS',
    value: `${randomBytes(32).toString('base64')}, x`,
    says: /comma-separated list/,
  },
  {
    kind: 'hex of the wrong length',
    name: 'SYNC_REGISTRATION_KEY',
    value: 'ab'.repeat(31),
    says: /must be exactly 64 hex characters/,
  },
  { kind: 'not hex', name: 'SYNC_NODE_ID', value: 'a1b2c3d4e5f6g7h8', says: /must be hex .* contains 'g', 'h'/ },
  { kind: 'uppercase hex', name: 'SYNC_NODE_ID', value: 'A1B2C3D4E5F6A7B8', says: /must be lowercase hex/ },
  { kind: 'not a DNS label', name: 'SYNC_NODE_NAME', value: 'Server One', says: /must be a DNS label/ },
  { kind: 'trailing whitespace', name: 'SYNC_NODE_NAME', value: 'server-1 ', says: /whitespace/ },
  { kind: 'wrapped in quotes', name: 'NEXTAUTH_URL', value: '"http://127.0.11.20:8080"', says: /wrapped in quotes/ },
  { kind: 'not an absolute URL', name: 'NEXTAUTH_URL', value: 'platform.example.com', says: /must be an absolute URL/ },
  {
    kind: 'URL with a path',
    name: 'NEXTAUTH_URL',
    value: 'http://127.0.11.20:8080/app',
    says: /must be an origin only/,
  },
  {
    kind: 'wrong URL scheme',
    name: 'DATABASE_URL',
    value: 'mysql://msk@127.0.11.29:3306/multi_business_db',
    says: /must start with postgresql:\/\//,
  },
  { kind: 'too short', name: 'DATABASE_PASSWORD', value: 'short-pw', says: /./ },
  { kind: 'port out of range', name: 'SYNC_SERVICE_PORT', value: '70000', says: /between 1 and 65535/ },
  { kind: 'port not a number', name: 'SYNC_SERVICE_PORT', value: 'http', says: /must be a whole number/ },
  { kind: 'not one of the allowed words', name: 'NODE_ENV', value: 'prod', says: /./, notSeenBy: 'app' },
  {
    kind: 'not base64 of 16/24/32 bytes',
    name: 'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
    value: randomBytes(20).toString('base64'),
    says: /./,
  },
  { kind: 'not an email address', name: 'ADMIN_EMAIL', value: 'admin-at-example', says: /./ },
  { kind: 'integer below the minimum', name: 'SYNC_INTERVAL', value: '10', says: /./ },
  { kind: 'not an integer', name: 'SYNC_MAX_CLOCK_SKEW_MS', value: '10s', says: /./ },
  { kind: 'not a boolean word', name: 'SYNC_AUTO_START', value: 'maybe', says: /./ },
  { kind: 'unknown log level', name: 'SYNC_LOG_LEVEL', value: 'loud', says: /./ },
  { kind: 'unknown discovery mode', name: 'SYNC_DISCOVERY', value: 'carrier-pigeon', says: /./ },
  { kind: 'bad peer address in a list', name: 'SYNC_PEERS', value: '127.0.11.22:99999', says: /./ },
  {
    kind: 'required (per-node databases) and missing',
    name: 'REPLICATED_TABLES',
    value: undefined,
    says: /is not set: with DATABASE_TOPOLOGY=per-node/,
  },
  {
    kind: 'a table of another schema',
    name: 'REPLICATED_TABLES',
    value: 'users,billing.invoices',
    says: /schema public only/,
  },
  {
    kind: 'a table named twice',
    name: 'REPLICATED_TABLES',
    value: 'users,businesses,users',
    says: /names users more than once/,
  },
];

function environment(row: Row): Record<string, string> {
  const env: Record<string, string> = { ...VALID };
  if (row.value === undefined) delete env[row.name];
  else env[row.name] = row.value;
  return env;
}

function runSync(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SYNC_MAIN, 'run'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    // A service that started anyway is stopped, and the test then fails on its exit code.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function expectRefusal(part: string, code: number | null, output: string, row: Row): void {
  const context = `${part} with ${row.name} ${row.kind}:\n${output.slice(-2000)}`;
  expect({ context, code }).toEqual({ context, code: 1 });
  expect(output).toMatch(new RegExp(`error: ${row.name}\\b`));
  const line = output.split('\n').find((l) => l.includes(`error: ${row.name}`)) as string;
  expect(line).toMatch(row.says);
  expect(line).toMatch(/Fix: /);
  const secrets = [
    ...VALID_SECRETS,
    ...(variable(row.name).secret && row.value && row.value.length >= 6 ? [row.value] : []),
  ];
  for (const secret of secrets)
    expect({ context, leaked: output.includes(secret) }).toEqual({ context, leaked: false });
}

describe('refusing a bad configuration at start', () => {
  let serverJs: string;

  beforeAll(async () => {
    serverJs = await ensureStandaloneBuild();
  });

  it('starts both parts with the valid environment the rows spoil (the control)', async () => {
    // Sync serves with it; the app gets past configuration and fails only on the unreachable database.
    const env = { ...VALID, SYNC_LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, [SYNC_MAIN, 'run'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let healthy = false;
      for (let i = 0; i < 100 && !healthy; i++) {
        healthy = await fetch('http://127.0.11.21:8765/health').then(
          (r) => r.status === 200,
          () => false,
        );
        if (!healthy) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(healthy).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    const app = await runAppServerExpectingExit(serverJs, env, 8_000);
    expect(app.answered).toBe(true);
    expect(app.stdout).toContain('configuration valid');
    expect(app.stderr + app.stdout).not.toMatch(/refuses to start/);
  });

  it.each(ROWS.map((row) => [row.name, row.kind, row] as const))(
    'refuses %s (%s) in every part that reads it',
    async (_name, _kind, row) => {
      const readBy = variable(row.name).readBy.filter((part) => part !== row.notSeenBy);
      expect(readBy.length).toBeGreaterThan(0);
      const env = environment(row);
      const [app, sync] = await Promise.all([
        readBy.includes('app') ? runAppServerExpectingExit(serverJs, env) : undefined,
        readBy.includes('sync') ? runSync(env) : undefined,
      ]);
      if (app) {
        expect(app.answered).toBe(false);
        expect(app.stderr).toContain('The app refuses to start');
        expectRefusal('the app', app.code, app.stdout + app.stderr, row);
      }
      if (sync) expectRefusal('the sync service', sync.code, sync.output, row);
    },
  );

  it('covers both parts for every class that applies to a variable both read', () => {
    const both = ROWS.filter((row) => variable(row.name).readBy.length === 2);
    expect(both.filter((row) => !row.notSeenBy).length).toBeGreaterThanOrEqual(15);
  });
});
