/**
 * The integration tests run the real standalone server (`node .../app/server.js`), built once per change of its
 * sources: when app/.next/standalone is missing or was built from other sources, `npm run build -w app` runs
 * (about 25 s on a 2-core machine). Tests then run a private copy of that folder, so a rebuild started
 * meanwhile (by a developer or another test run) cannot swap files under running servers.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const APP_DIR = join(__dirname, '..', '..');
export const REPO_ROOT = join(APP_DIR, '..');
const STANDALONE_DIR = join(APP_DIR, '.next', 'standalone');
/** Written by scripts/completeStandalone.mjs as the last step of a build. */
const BUILD_STAMP = join(STANDALONE_DIR, 'BUILD.json');
/** Written here after a build made by these tests: the hash of the sources it was made from. */
const SOURCES_STAMP = join(STANDALONE_DIR, 'SOURCES.sha256');
const LOCK_DIR = join(APP_DIR, '.next-build.lock');
const LOCK_STALE_MS = 10 * 60_000;
const CONCURRENT_BUILD_RETRY_MS = 5_000;
const CONCURRENT_BUILD_MAX_WAIT_MS = 5 * 60_000;
const COPY_PREFIX = 'msk-app-standalone-';
const OLD_COPY_MS = 60 * 60_000;

const BUILD_INPUTS = [
  ...['src', 'migrations', 'public', 'scripts', 'next.config.ts', 'package.json', 'tsconfig.json'].map((p) =>
    join(APP_DIR, p),
  ),
  join(REPO_ROOT, 'contract', 'src'),
];

/** Test code and test helpers are not part of the build. */
function isBuildInput(path: string): boolean {
  return !/\.test\.tsx?$/.test(path) && !path.includes(join('src', 'testing'));
}

function inputFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return isBuildInput(path) ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => inputFiles(join(path, entry)));
}

export function sourcesHash(): string {
  const hash = createHash('sha256');
  for (const file of BUILD_INPUTS.flatMap(inputFiles)) {
    hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function builtFrom(): string | undefined {
  if (!existsSync(BUILD_STAMP) || !existsSync(SOURCES_STAMP)) return undefined;
  return readFileSync(SOURCES_STAMP, 'utf8').trim();
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      break;
    } catch {
      if (existsSync(LOCK_DIR) && Date.now() - statSync(LOCK_DIR).mtimeMs > LOCK_STALE_MS)
        rmSync(LOCK_DIR, { recursive: true, force: true });
      await sleep(500);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

async function build(options: StandaloneBuildOptions, buildId: string): Promise<number> {
  const startedAt = Date.now();
  const tsc = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(REPO_ROOT, 'kit')],
    {
      encoding: 'utf8',
    },
  );
  if (tsc.status !== 0) throw new Error(`tsc -b kit failed:\n${tsc.stdout}${tsc.stderr}`);
  for (;;) {
    // The build machine has no node secrets: build with a bare environment, as CI and image builds do.
    const result = spawnSync('npm', ['run', 'build', '--workspace', 'app'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        NODE_ENV: 'production',
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        NEXT_TELEMETRY_DISABLED: '1',
        ...(options.serverActionsKey ? { NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: options.serverActionsKey } : {}),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${result.stdout}\n${result.stderr}`;
    if (result.status === 0) break;
    // Someone else (a developer, another helper's test) is building app/ right now: wait for it, then build ours.
    if (
      output.includes('Another next build process is already running') &&
      Date.now() - startedAt < CONCURRENT_BUILD_MAX_WAIT_MS
    ) {
      await sleep(CONCURRENT_BUILD_RETRY_MS);
      continue;
    }
    throw new Error(
      `npm run build -w app failed (exit ${result.status}):\n${output.trim().split('\n').slice(-40).join('\n')}`,
    );
  }
  writeFileSync(SOURCES_STAMP, `${buildId}\n`);
  const tookMs = Date.now() - startedAt;
  process.stdout.write(`[app] built the standalone server (${options.variant ?? 'default'}) in ${tookMs} ms\n`);
  return tookMs;
}

function privateCopyDir(buildId: string): string {
  return join(tmpdir(), `${COPY_PREFIX}${buildId}`);
}

/** A private copy of the standalone folder just built; made once, reused by every test file. */
function privateCopy(buildId: string): string {
  const target = privateCopyDir(buildId);
  if (existsSync(join(target, 'BUILD.json'))) return target;
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(STANDALONE_DIR, staging, { recursive: true, verbatimSymlinks: true });
  try {
    renameSync(staging, target);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another test file made it first
  }
  for (const entry of readdirSync(tmpdir())) {
    const path = join(tmpdir(), entry);
    if (entry.startsWith(COPY_PREFIX) && path !== target && Date.now() - statSync(path).mtimeMs > OLD_COPY_MS) {
      rmSync(path, { recursive: true, force: true });
    }
  }
  return target;
}

export interface StandaloneBuildOptions {
  /** NEXT_SERVER_ACTIONS_ENCRYPTION_KEY at build time. @default unset: Next.js draws a key for the build */
  readonly serverActionsKey?: string;
  /**
   * Names a separate build of the same sources: 'first' and 'second' are two builds, as two machines would make
   * them (nothing reused from an earlier build). @default 'default'
   */
  readonly variant?: string;
}

/** Path of the server.js to run, built from the current sources (and options). */
export async function ensureStandaloneBuild(options: StandaloneBuildOptions = {}): Promise<string> {
  return withLock(async () => {
    const variant = options.variant ?? 'default';
    const buildId = createHash('sha256')
      .update(`${sourcesHash()}\0${variant}\0${options.serverActionsKey ?? ''}`)
      .digest('hex')
      .slice(0, 16);
    if (!existsSync(join(privateCopyDir(buildId), 'BUILD.json')) && builtFrom() !== buildId) {
      // A separate build shares nothing with the previous one (Next.js would reuse its cached Server Actions key).
      if (variant !== 'default') rmSync(join(APP_DIR, '.next', 'cache'), { recursive: true, force: true });
      await build(options, buildId);
    }
    return join(privateCopy(buildId), 'app', 'server.js');
  });
}
