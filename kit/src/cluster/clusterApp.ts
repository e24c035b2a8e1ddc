/**
 * Which app a local cluster runs on every node: the repository's reference app (app/), or a team's own Next.js app
 * chosen with `npm start -- --app <dir>`. What the kit must know about an app it did not write is read from the
 * `multiServerKit` field of that app's package.json (command-line options win):
 *
 *   "multiServerKit": {
 *     "probePath": "/api/auth/providers",           answers 200 once the app serves (@default /api/health)
 *     "replicatedTables": ["teams", "technicians"], REPLICATED_TABLES of its sync services (required)
 *     "env": { "AUTH_SECRET": "NEXTAUTH_SECRET" }    names the app reads ← the contract variable each one holds
 *   }
 *
 * Parsing is pure (this file reads nothing but the given package.json); everything from that file is hostile input.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { REFERENCE_APP_REPLICATED_TABLES, VARIABLES_BY_NAME, replicatedTablesProblem } from '@msk/contract';
import { APP_DIR, APP_SERVER, REPO_ROOT } from './appBuild';

export const DEFAULT_PROBE_PATH = '/api/health';
const MANIFEST_FIELD = 'multiServerKit';
const MAX_PROBE_PATH_LENGTH = 200;
const MAX_TABLES = 100;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface ClusterApp {
  /** For progress lines: "the reference app" or the app's package name. */
  readonly label: string;
  /** The app's folder (its package.json). */
  readonly dir: string;
  /** True for the repository's own app/ (built with `npm run build --workspace app`, as before). */
  readonly reference: boolean;
  /** GET path that answers 200 once the app serves. */
  readonly probePath: string;
  /** REPLICATED_TABLES of every node's sync service. */
  readonly replicatedTables: readonly string[];
  /** The name the app reads → the contract variable whose value it gets under that name. */
  readonly envNames: Readonly<Record<string, string>>;
}

export interface ClusterAppOptions {
  /** --app-probe-path */
  readonly probePath?: string;
  /** --replicated-tables a,b,c */
  readonly replicatedTables?: readonly string[];
}

export class ClusterAppError extends Error {
  override readonly name = 'ClusterAppError';
}

export function referenceApp(options: ClusterAppOptions = {}): ClusterApp {
  return {
    label: 'the app',
    dir: APP_DIR,
    reference: true,
    probePath: checkedProbePath(options.probePath ?? DEFAULT_PROBE_PATH, '--app-probe-path'),
    replicatedTables: options.replicatedTables
      ? checkedTables(options.replicatedTables, '--replicated-tables')
      : REFERENCE_APP_REPLICATED_TABLES,
    envNames: {},
  };
}

function checkedProbePath(value: unknown, where: string): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.length > MAX_PROBE_PATH_LENGTH ||
    /[\s\\#]/.test(value)
  ) {
    throw new ClusterAppError(
      `${where} must be a path on the app starting with one "/", without spaces or "#", at most ${MAX_PROBE_PATH_LENGTH} characters (e.g. /api/auth/providers)`,
    );
  }
  return value;
}

/** The contract's rule for REPLICATED_TABLES, applied where the list comes from. */
function checkedTables(value: unknown, where: string): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_TABLES) {
    throw new ClusterAppError(`${where} must list 1 to ${MAX_TABLES} table names (the tables every node replicates)`);
  }
  if (value.some((table) => typeof table !== 'string'))
    throw new ClusterAppError(`${where} must list table names (strings)`);
  const problem = replicatedTablesProblem(value.join(','));
  if (problem) throw new ClusterAppError(`${where} ${problem}`);
  return value as string[];
}

function checkedEnvNames(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClusterAppError(`${where} must be an object: { "<name the app reads>": "<contract variable>" }`);
  }
  const names: Record<string, string> = {};
  for (const [appName, contractName] of Object.entries(value)) {
    if (!ENV_NAME.test(appName))
      throw new ClusterAppError(
        `${where}: ${JSON.stringify(appName).slice(0, 80)} is not an environment variable name`,
      );
    if (typeof contractName !== 'string' || !VARIABLES_BY_NAME.has(contractName)) {
      throw new ClusterAppError(
        `${where}.${appName}: ${JSON.stringify(contractName).slice(0, 80)} is not a variable of the kit's contract (e.g. NEXTAUTH_SECRET, NEXTAUTH_URL, DATABASE_URL; see docs/configuration.md)`,
      );
    }
    names[appName] = contractName;
  }
  return names;
}

/** Pure: the ClusterApp that an app's package.json text describes. `source` names the file in errors. */
export function parseClusterApp(
  dir: string,
  packageJsonText: string,
  source: string,
  options: ClusterAppOptions = {},
): ClusterApp {
  let pkg: unknown;
  try {
    pkg = JSON.parse(packageJsonText);
  } catch {
    throw new ClusterAppError(`${source} is not valid JSON`);
  }
  if (typeof pkg !== 'object' || pkg === null) throw new ClusterAppError(`${source} is not a package.json object`);
  const { name, scripts } = pkg as { name?: unknown; scripts?: Record<string, unknown> };
  if (typeof scripts?.build !== 'string') {
    throw new ClusterAppError(
      `${source} has no "build" script: the kit builds the app with npm run build (next build with output: 'standalone')`,
    );
  }
  const manifest = (pkg as Record<string, unknown>)[MANIFEST_FIELD] ?? {};
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw new ClusterAppError(`${source}: "${MANIFEST_FIELD}" must be an object`);
  const field = (key: string) => (manifest as Record<string, unknown>)[key];
  const where = (key: string) => `${source} ${MANIFEST_FIELD}.${key}`;
  return {
    label: typeof name === 'string' && name !== '' ? name.slice(0, 80) : basename(dir),
    dir,
    reference: false,
    probePath:
      options.probePath !== undefined
        ? checkedProbePath(options.probePath, '--app-probe-path')
        : checkedProbePath(field('probePath') ?? DEFAULT_PROBE_PATH, where('probePath')),
    replicatedTables:
      options.replicatedTables !== undefined
        ? checkedTables(options.replicatedTables, '--replicated-tables')
        : checkedTables(field('replicatedTables'), where('replicatedTables')),
    envNames: checkedEnvNames(field('env'), where('env')),
  };
}

/** `--app <dir>`: the reference app when it names app/ (or nothing), else the app in that folder. */
export function loadClusterApp(dir: string | undefined, options: ClusterAppOptions = {}): ClusterApp {
  if (dir === undefined) return referenceApp(options);
  const absolute = resolve(dir);
  if (absolute === APP_DIR) return referenceApp(options);
  const packageJson = join(absolute, 'package.json');
  if (!existsSync(packageJson))
    throw new ClusterAppError(`--app ${dir}: no package.json in ${absolute}; give the folder of a Next.js app`);
  return parseClusterApp(
    absolute,
    readFileSync(packageJson, 'utf8'),
    relative(process.cwd(), packageJson) || packageJson,
    options,
  );
}

/** Where `next build` (output: 'standalone') left server.js: .next/standalone/ or, in a workspace, below it. */
export function standaloneServer(app: ClusterApp): string | undefined {
  if (app.reference) return existsSync(APP_SERVER) ? APP_SERVER : undefined;
  const standalone = join(app.dir, '.next', 'standalone');
  // Traced from a workspace root, the server sits at the app's path below that root (this repository: its own).
  for (const candidate of [
    join(standalone, 'server.js'),
    join(standalone, relative(REPO_ROOT, app.dir), 'server.js'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return findServerJs(standalone, 4);
}

function findServerJs(dir: string, depth: number): string | undefined {
  if (depth < 0 || !existsSync(dir)) return undefined;
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === '.next') continue;
    const path = join(dir, entry);
    if (entry === 'server.js' && statSync(path).isFile()) return path;
  }
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === '.next') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const found = findServerJs(path, depth - 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Pure: the environment the app process gets. Each contract variable the app reads under another name is handed
 * over under that name only (so an app that reads AUTH_SECRET proves it does).
 */
export function appProcessEnvironment(app: ClusterApp, env: Readonly<Record<string, string>>): Record<string, string> {
  const result: Record<string, string> = { ...env };
  for (const contractName of Object.values(app.envNames)) delete result[contractName];
  for (const [appName, contractName] of Object.entries(app.envNames)) {
    const value = env[contractName];
    if (value !== undefined) result[appName] = value;
  }
  return result;
}

/**
 * A data folder holds one app's databases: starting another app on it would mix two schemas in one database and
 * replicate the wrong tables. config/app.json says whose it is (a folder from before it existed is the reference
 * app's); another app needs --fresh or another --data-dir.
 */
export function claimDataFolder(configDir: string, dataDir: string, app: ClusterApp): void {
  const path = join(configDir, 'app.json');
  const mine = app.reference ? 'app' : app.dir;
  if (existsSync(path) || existsSync(join(configDir, 'shared.env'))) {
    const saved = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { app?: unknown }).app : 'app';
    const savedDir = typeof saved === 'string' ? saved : 'app';
    if (savedDir !== mine) {
      const shown = (dir: string) => (dir === 'app' ? 'the reference app (app/)' : relative(process.cwd(), dir) || dir);
      throw new ClusterAppError(
        `${dataDir} holds a cluster of ${shown(savedDir)}, not of ${shown(mine)}: ` +
          `add --fresh to start over with ${shown(mine)} (new secrets, empty databases), or give another --data-dir`,
      );
    }
    return;
  }
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify({ app: mine }, null, 2)}\n`);
}
