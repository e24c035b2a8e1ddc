// Runs the compiled kit CLI (`msk`) as a child process, asynchronously (a test's writers keep running meanwhile),
// with the PostgreSQL 17 client programs that .ci/postgres-client/install.sh caches.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from './docsCommands';

export const KIT_CLI = join(REPOSITORY_ROOT, 'kit', 'dist', 'cli', 'main.js');
const CACHED_PG_BIN = '/var/cache/msk-postgres-client-17.10.0/pginstall/bin';

/** The folder of pg_dump/pg_restore/psql 17: MSK_PG_BIN, or where .ci/postgres-client/install.sh puts them. */
export function postgresClientBin(): string {
  const dir = process.env.MSK_PG_BIN ?? CACHED_PG_BIN;
  if (!existsSync(join(dir, 'pg_dump'))) {
    throw new Error(
      `no PostgreSQL 17 client programs in ${dir}: run .ci/postgres-client/install.sh (or set MSK_PG_BIN)`,
    );
  }
  return dir;
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a shell command line (or argv with `file`) from the repository root; resolves with its exit code and output. */
export function runCommand(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  cwd = REPOSITORY_ROOT,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, MSK_PG_BIN: postgresClientBin(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function runKit(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCommand(process.execPath, [KIT_CLI, ...args], env);
}
