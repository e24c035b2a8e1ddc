/**
 * The operator's commands as the setup guide uses them (`service:start`, `service:status`, `service:stop` run
 * `node sync/dist/cli/main.js <command>`), each node with its own working directory and `.env.local`,
 * on 127.0.2.60-62.
 */
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SYNC_MAIN, ensureSyncBuilt } from '../testing/buildOnce';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { isAlive } from './processControl';

jest.setTimeout(60_000);

function writeEnvLocal(dir: string, env: Record<string, string>): void {
  // The guide's style: quoted values.
  writeFileSync(
    path.join(dir, '.env.local'),
    Object.entries(env)
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n') + '\n',
  );
}

function cli(cwd: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [SYNC_MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

function newNodeDir(env: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'msk-cli-'));
  writeEnvLocal(dir, env);
  return dir;
}

const alive = isAlive;

async function eventually<T>(what: string, run: () => T, ok: (value: T) => boolean, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = run();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    value = run();
  }
  if (!ok(value)) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
  return value;
}

const pidsToKill: number[] = [];
beforeAll(() => ensureSyncBuilt());
afterAll(() => {
  for (const pid of pidsToKill) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('service:start / service:status / service:stop', () => {
  it('starts in the background, shows "Peers Connected: 1", and stops exactly that PID', async () => {
    const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'info' });
    const dir1 = newNodeDir(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.60', peers: ['127.0.2.61:8765'] }));
    const dir2 = newNodeDir(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.61', peers: ['127.0.2.60:8765'] }));

    const start1 = cli(dir1, 'start');
    const start2 = cli(dir2, 'start');
    expect(start1.status).toBe(0);
    expect(start2.status).toBe(0);
    expect(start1.stdout).toMatch(/Sync service of server-1 started \(PID \d+\) on 127\.0\.2\.60:8765/);
    const pidFile = path.join(dir1, '.msk/sync-server-1.pid');
    const pid1 = Number(readFileSync(pidFile, 'utf8'));
    const pid2 = Number(readFileSync(path.join(dir2, '.msk/sync-server-2.pid'), 'utf8'));
    pidsToKill.push(pid1, pid2);
    expect(alive(pid1) && alive(pid2)).toBe(true);

    const status = await eventually(
      'Peers Connected: 1',
      () => cli(dir1, 'status'),
      (r) => r.stdout.startsWith('Peers Connected: 1\n'),
      2_000,
    );
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/PEER\s+ID\s+ADDRESS\s+DISCOVERED VIA\s+AUTH\s+LAST SEEN\s+CLOCK SKEW\s+CONFIG/);
    expect(status.stdout).toMatch(/server-2\s+[0-9a-f]{16}\s+127\.0\.2\.61:8765\s+static\s+authenticated\s+.*agrees/);
    const json = JSON.parse(cli(dir2, 'status', '--json').stdout) as { peersConnected: number; node: { name: string } };
    expect(json).toMatchObject({ peersConnected: 1, node: { name: 'server-2' } });

    expect(cli(dir1, 'start').stdout).toMatch(new RegExp(`already running \\(PID ${pid1}\\)`));

    const stop = cli(dir1, 'stop');
    expect(stop.status).toBe(0);
    expect(stop.stdout).toBe(`Sync service stopped (PID ${pid1}).\n`);
    expect(alive(pid1)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    expect(alive(pid2)).toBe(true);
    expect(readFileSync(path.join(dir1, '.msk/sync-server-1.log'), 'utf8')).toMatch(/"msg":"sync service stopped"/);

    const none = cli(dir1, 'status');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^No sync service is running at 127\.0\.2\.60:8765/);
    await eventually(
      'Peers Connected: 0',
      () => cli(dir2, 'status'),
      (r) => r.stdout.startsWith('Peers Connected: 0\n'),
      2_000,
    );

    expect(cli(dir2, 'stop').status).toBe(0);
    expect(alive(pid2)).toBe(false);
  });

  it('does not start when SYNC_AUTO_START is false, and says how to change that', () => {
    const dir = newNodeDir(
      nodeEnv(loopbackSharedEnv(), { name: 'server-1', ip: '127.0.2.62' }, { SYNC_AUTO_START: 'false' }),
    );
    const start = cli(dir, 'start');
    expect(start.status).toBe(0);
    expect(start.stdout).toMatch(/SYNC_AUTO_START is false .* so the sync service is not started/);
    expect(existsSync(path.join(dir, '.msk/sync-server-1.pid'))).toBe(false);
  });

  it('refuses to start with a bad environment and lists every problem', () => {
    const env = nodeEnv(
      loopbackSharedEnv(),
      { name: 'Server One', ip: '127.0.2.62' },
      { SYNC_NODE_ID: 'a1b2c3d4e5f6g7h8', SYNC_REGISTRATION_KEY: 'short' },
    );
    const start = cli(newNodeDir(env), 'start');
    expect(start.status).toBe(1);
    for (const variable of ['SYNC_NODE_ID', 'SYNC_NODE_NAME', 'SYNC_REGISTRATION_KEY'])
      expect(start.stderr).toContain(`error: ${variable}`);
    expect(start.stderr).not.toContain('short');
  });

  it('says so when asked to stop a service that is not running', () => {
    const stop = cli(newNodeDir(nodeEnv(loopbackSharedEnv(), { name: 'server-1', ip: '127.0.2.62' })), 'stop');
    expect(stop.status).toBe(0);
    expect(stop.stdout).toMatch(/No sync service to stop: no PID file at .*sync-server-1\.pid/);
  });

  it('never signals a process that is not a sync service (stale PID file)', async () => {
    const dir = newNodeDir(nodeEnv(loopbackSharedEnv(), { name: 'server-1', ip: '127.0.2.62' }));
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    pidsToKill.push(sleeper.pid as number);
    spawnSync('mkdir', ['-p', path.join(dir, '.msk')]);
    writeFileSync(path.join(dir, '.msk/sync-server-1.pid'), `${sleeper.pid}\n`);
    const stop = cli(dir, 'stop');
    expect(stop.stdout).toMatch(/is not a sync service \(stale PID file, removed\); nothing was signalled/);
    expect(alive(sleeper.pid as number)).toBe(true);
    sleeper.kill();
  });

  it('reads --env-file instead of .env.local and keeps PID files under --state-dir', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'msk-cli-'));
    const envFile = path.join(dir, 'node.env');
    writeFileSync(
      envFile,
      Object.entries(nodeEnv(loopbackSharedEnv(), { name: 'server-9', ip: '127.0.2.62' }))
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    const start = cli(dir, 'start', '--env-file', envFile, '--state-dir', 'state');
    expect(start.status).toBe(0);
    const pid = Number(readFileSync(path.join(dir, 'state/sync-server-9.pid'), 'utf8'));
    pidsToKill.push(pid);
    expect(cli(dir, 'status', '--env-file', envFile).stdout).toMatch(/^Peers Connected: 0\n/);
    expect(cli(dir, 'stop', '--env-file', envFile, '--state-dir', 'state').stdout).toBe(
      `Sync service stopped (PID ${pid}).\n`,
    );
  });
});
