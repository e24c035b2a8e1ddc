/**
 * The one app artifact every local node runs: the Next.js standalone build, made once and re-made only when the
 * app's sources are newer than it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

export function appBuildIsCurrent(): boolean {
  if (!existsSync(APP_SERVER)) return false;
  const built = statSync(APP_SERVER).mtimeMs;
  const sources = Math.max(...SOURCE_ENTRIES.map((entry) => newestMtimeMs(join(APP_DIR, entry))));
  return built >= sources;
}

/** Runs `npm run build --workspace app`, printing a dot every few seconds; throws with the output's tail on failure. */
export function buildApp(progress: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--workspace', 'app'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const collect = (chunk: Buffer) => output.push(chunk.toString());
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = setInterval(() => progress('.'), 3000);
    const onSignal = () => child.kill('SIGTERM');
    process.once('SIGINT', onSignal);
    child.on('exit', (code) => {
      clearInterval(ticker);
      process.removeListener('SIGINT', onSignal);
      if (code === 0) resolve();
      else reject(new Error(`building the app failed (exit ${code}):\n${output.join('').split('\n').slice(-25).join('\n')}`));
    });
  });
}
