/**
 * The one app artifact every local node runs: the Next.js standalone build, made once and re-made only when the
 * app's sources are newer than it. The reference app (app/) by default, or the app `--app` chose (clusterApp.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterApp } from './clusterApp';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const APP_DIR = join(REPO_ROOT, 'app');
export const APP_STANDALONE_DIR = join(APP_DIR, '.next', 'standalone', 'app');
export const APP_SERVER = join(APP_STANDALONE_DIR, 'server.js');
export const SYNC_CLI = join(REPO_ROOT, 'sync', 'dist', 'cli', 'main.js');

const SOURCE_ENTRIES = ['src', 'migrations', 'public', 'next.config.ts', 'package.json', 'scripts'];

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** What is built where: the app's folder and the server.js its build made (undefined before the first build). */
export interface AppBuildTarget {
  readonly dir: string;
  readonly serverJs: string | undefined;
}

const REFERENCE_BUILD: AppBuildTarget = { dir: APP_DIR, serverJs: APP_SERVER };

export function appBuildIsCurrent(target: AppBuildTarget = REFERENCE_BUILD): boolean {
  if (target.serverJs === undefined || !existsSync(target.serverJs)) return false;
  const built = statSync(target.serverJs).mtimeMs;
  const sources = Math.max(...SOURCE_ENTRIES.map((entry) => newestMtimeMs(join(target.dir, entry))));
  return built >= sources;
}

/** While `next build` prints nothing for this long, say that it is still running (its compile step is silent). */
const BUILD_HEARTBEAT_MS = 10_000;

/**
 * Runs `npm run build` in the app's folder (`next build` + the standalone folder), passing each line of its own
 * progress to `progress` as it comes; throws with the output's tail on failure. Ctrl-C stops it.
 */
export function buildApp(
  progress: (line: string) => void,
  app: Pick<ClusterApp, 'dir'> = { dir: APP_DIR },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('npm', ['run', 'build'], { cwd: app.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    let lastLineAt = Date.now();
    let lastLine = 'starting';
    const lines = progressLines((line) => {
      output.push(line);
      const shown = buildLineToShow(line);
      if (shown === undefined) return;
      lastLine = shown;
      lastLineAt = Date.now();
      progress(shown);
    });
    child.stdout.on('data', lines.push);
    child.stderr.on('data', lines.push);
    const heartbeat = setInterval(() => {
      if (Date.now() - lastLineAt < BUILD_HEARTBEAT_MS) return;
      lastLineAt = Date.now();
      progress(`… still building (${Math.round((Date.now() - started) / 1000)} s since it started; last: ${lastLine})`);
    }, 1000);
    const onSignal = () => child.kill('SIGTERM');
    process.once('SIGINT', onSignal);
    child.on('exit', (code, signal) => {
      lines.end();
      clearInterval(heartbeat);
      process.removeListener('SIGINT', onSignal);
      if (code === 0) resolve();
      else if (signal) reject(new Error(`building the app was stopped (${signal}); the next start builds it again`));
      else reject(new Error(`building the app failed (exit ${code}):\n${output.slice(-25).join('\n')}`));
    });
  });
}

/** Splits a stream's chunks into whole lines (the last partial line is kept until more comes or the end). */
export function progressLines(onLine: (line: string) => void): {
  push: (chunk: Buffer | string) => void;
  end: () => void;
} {
  let pending = '';
  return {
    push: (chunk) => {
      const parts = (pending + chunk.toString()).split(/\r?\n|\r/);
      pending = parts.pop() ?? '';
      for (const part of parts) onLine(part);
    },
    end: () => {
      if (pending !== '') onLine(pending);
      pending = '';
    },
  };
}

/** What of a `next build` output line is worth showing: none of npm's script banner or blank lines; colours out. */
export function buildLineToShow(raw: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const line = raw.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').trimEnd();
  if (line.trim() === '') return undefined;
  if (/^> /.test(line.trim())) return undefined; // npm's "> @msk/app@0.1.0 build" and "> next build …"
  return line.trim();
}
