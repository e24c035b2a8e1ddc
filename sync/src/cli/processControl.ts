/** Background process management for `start` / `stop`: PID file, log file, exactly-that-PID signals. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { ServiceFiles } from './serviceFiles';

/** A process that has exited but is not reaped yet (its parent is gone) still answers kill(0): check /proc. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Whether the process is a sync service started by this CLI (guards against a recycled PID). */
export function isSyncServiceProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmdlineFile = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdlineFile)) return true; // no /proc (macOS): trust the PID file
  try {
    const argv = readFileSync(cmdlineFile, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('main.js')) && argv.includes('run');
  } catch {
    return false;
  }
}

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function lastLines(file: string, count: number): string[] {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-count);
  } catch {
    return [];
  }
}

export function spawnBackground(input: {
  files: ServiceFiles;
  mainScript: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}): number {
  mkdirSync(input.files.stateDir, { recursive: true });
  const log = openSync(input.files.logFile, 'a');
  try {
    const child = spawn(process.execPath, [input.mainScript, 'run', ...input.args], {
      cwd: input.cwd,
      env: input.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    if (child.pid === undefined) throw new Error('the service process did not start');
    writeFileSync(input.files.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** GET a loopback URL; resolves with the status code, or undefined when nothing answers. */
export function probe(url: string, timeoutMs: number): Promise<{ status: number; body: string } | undefined> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    const req = transport.get(url, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends SIGTERM, waits, then SIGKILL. Returns how it ended. */
export async function stopProcess(pid: number, graceMs: number): Promise<'terminated' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(50);
  }
  if (!isAlive(pid)) return 'terminated';
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 40 && isAlive(pid); i++) await sleep(50);
  return 'killed';
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
