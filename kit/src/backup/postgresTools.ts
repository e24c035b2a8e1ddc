/**
 * Runs PostgreSQL's client programs (pg_dump, pg_restore, psql) against one node's database, in one of two ways:
 * - local: this machine's programs (from --pg-bin, MSK_PG_BIN or PATH) over TCP, the connection in PG* variables
 *   of the child's environment (the password never on a command line or in output);
 * - exec: the server's own programs, run through a command prefix such as
 *   `docker compose exec -T -u postgres postgres-2` or `kubectl exec -i msk-1 -c postgres --`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type PostgresAccess =
  | {
      readonly kind: 'local';
      /** Folder of pg_dump/pg_restore/psql; undefined: found on PATH. */
      readonly binDir?: string;
      readonly host: string;
      readonly port: number;
      readonly user: string;
      readonly password: string;
      readonly database: string;
    }
  | {
      readonly kind: 'exec';
      /** The command that runs a program where the database is, split on spaces. */
      readonly prefix: readonly string[];
      readonly user: string;
      readonly database: string;
    };

export type PostgresTool = 'pg_dump' | 'pg_restore' | 'psql';

export class PostgresToolError extends Error {}

export interface ToolRun {
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Most bytes kept of a tool's error output (its last lines go into our error message). */
const MAX_STDERR_BYTES = 64 * 1024;

function commandOf(
  access: PostgresAccess,
  tool: PostgresTool,
  args: readonly string[],
  database: string,
): { file: string; argv: string[]; env: NodeJS.ProcessEnv } {
  if (access.kind === 'exec') {
    const [file, ...rest] = access.prefix;
    if (!file)
      throw new PostgresToolError('--exec is empty: give the command that runs a program next to the database');
    return { file, argv: [...rest, tool, '-U', access.user, '-d', database, ...args], env: process.env };
  }
  const file = access.binDir ? join(access.binDir, tool) : tool;
  if (access.binDir && !existsSync(file)) {
    throw new PostgresToolError(
      `${file} does not exist: --pg-bin (or MSK_PG_BIN) must be the folder of PostgreSQL's client programs`,
    );
  }
  return {
    file,
    argv: ['-d', database, ...args],
    env: {
      ...process.env,
      PGHOST: access.host,
      PGPORT: String(access.port),
      PGUSER: access.user,
      PGPASSWORD: access.password,
      PGCONNECT_TIMEOUT: '10',
    },
  };
}

/**
 * Runs one program to the end. `input` goes to its standard input; its standard output is returned whole (a dump
 * of a node's database fits in memory, as a snapshot between nodes does). Fails with the program's last error lines.
 */
export function runTool(
  access: PostgresAccess,
  tool: PostgresTool,
  args: readonly string[],
  options: { input?: Buffer | string; database?: string } = {},
): Promise<ToolRun> {
  const { file, argv, env } = commandOf(access, tool, args, options.database ?? access.database);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < MAX_STDERR_BYTES) err += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new PostgresToolError(
          error.code === 'ENOENT'
            ? `${file} was not found: ${access.kind === 'local' ? `install PostgreSQL's client programs (the server's major version or newer) and pass --pg-bin DIR or set MSK_PG_BIN` : 'check the --exec command'}`
            : `${file} could not be started: ${error.message}`,
        ),
      );
    });
    child.stdin.on('error', () => undefined); // a program that exits early: its exit code says why
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr: err });
      else {
        const last = err.trim().split('\n').slice(-6).join('\n  ');
        reject(
          new PostgresToolError(`${tool} failed (exit ${code}):\n  ${last || '(no output)'}${hintFor(err, access)}`),
        );
      }
    });
    child.stdin.end(options.input ?? '');
  });
}

function hintFor(stderr: string, access: PostgresAccess): string {
  if (/server version mismatch|aborting because of server version/i.test(stderr)) {
    return `\n  fix: use ${access.kind === 'local' ? "client programs of the server's major version or newer (--pg-bin DIR or MSK_PG_BIN)" : "the server's own programs (--exec into the database container)"}`;
  }
  return '';
}

/** Runs SQL with psql (stops at the first error, no psqlrc) and returns its unaligned, header-less output. */
export async function runSql(access: PostgresAccess, sql: string, database?: string): Promise<string> {
  const run = await runTool(access, 'psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'], {
    input: sql,
    database,
  });
  return run.stdout.toString('utf8').trim();
}

/** The major version of a program (`pg_dump (PostgreSQL) 17.10` → 17). */
export async function toolMajorVersion(
  access: PostgresAccess,
  tool: PostgresTool,
): Promise<{ major: number; text: string }> {
  if (access.kind === 'exec') {
    const [file, ...rest] = access.prefix;
    const text = await new Promise<string>((resolve, reject) => {
      const child = spawn(file!, [...rest, tool, '--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.on('error', (error) => reject(new PostgresToolError(`${file} could not be started: ${error.message}`)));
      child.on('close', (code) =>
        code === 0
          ? resolve(out.trim())
          : reject(new PostgresToolError(`${tool} --version failed through --exec (exit ${code})`)),
      );
    });
    return { major: majorOf(text), text };
  }
  const { file } = commandOf(access, tool, [], access.database);
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn(file, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new PostgresToolError(
          error.code === 'ENOENT'
            ? `${file} was not found: install PostgreSQL's client programs and pass --pg-bin DIR or set MSK_PG_BIN`
            : error.message,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new PostgresToolError(`${file} --version failed (exit ${code})`)),
    );
  });
  return { major: majorOf(text), text };
}

function majorOf(versionText: string): number {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(versionText);
  return match ? Number(match[1]) : 0;
}
