/**
 * compose/ as a user runs it, driven from tests: configuration written by the real `npm run init` CLI into a
 * temporary deploy folder, Docker Compose v5 (`docker compose`, built from source by .ci/compose/build.sh) run on
 * the compose files themselves.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnvFile } from '@msk/contract/envFile';
import { ADMIN, APP_IMAGE, REPO_ROOT, SYNC_IMAGE, nginxImage, postgresImage } from './containerSettings';

export const KIT_CLI = join(REPO_ROOT, 'kit', 'dist', 'cli', 'main.js');

/**
 * Compose projects, containers and networks the tests create are named `<prefix>-...-<pid>`: the prefix
 * (MSK_TEST_RESOURCE_PREFIX, default "msk-test") keeps runs of several checkouts on one engine apart.
 */
export function testResourceName(what: string): string {
  return `${process.env.MSK_TEST_RESOURCE_PREFIX || 'msk-test'}-${what}-${process.pid}`;
}

/**
 * The compose files reference the project's images as <MSK_REGISTRY>/multi-server-kit/{app,sync}:<MSK_VERSION>.
 * The images the tests run were built on this machine as multi-server-kit/{app,sync}:0.1.0, which Docker names in
 * full docker.io/multi-server-kit/{app,sync}:0.1.0: with this registry Compose finds them locally and pulls nothing.
 */
export const LOCAL_IMAGE_REGISTRY = 'docker.io';

export interface PinnedImages {
  /** MSK_REGISTRY for the compose files: <registry>/multi-server-kit/{app,sync}:0.1.0 are this run's own tags. */
  readonly registry: string;
  /** The image ID of the app image the tags point at. */
  readonly appImageId: string;
  remove(): void;
}

/**
 * Tags the project's images, as they are now, under a registry name of this run only. Other checkouts on the same
 * engine rebuild multi-server-kit/{app,sync}:0.1.0 from their own trees at any time; a compose project started from
 * this run's tags keeps running the images this run built, whatever happens to the shared names meanwhile.
 */
export function pinProjectImages(): PinnedImages {
  const registry = `${testResourceName('images')}.test`;
  const pinned = [APP_IMAGE, SYNC_IMAGE].map((image) => {
    const tag = `${registry}/${image}`;
    execFileSync('docker', ['tag', image, tag]);
    return tag;
  });
  const appImageId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', pinned[0] as string], {
    encoding: 'utf8',
  }).trim();
  return {
    registry,
    appImageId,
    remove: () => spawnSync('docker', ['image', 'rm', ...pinned], { stdio: 'ignore' }) && undefined,
  };
}

export interface DeployFolder {
  /** Holds shared.env, node-N.env and postgres-superuser-password as `npm run init` wrote them. */
  readonly dir: string;
  remove(): void;
}

/** Runs `msk init` (what `npm run init` runs) into a fresh temporary folder. */
export function initDeployFolder(options: {
  publicUrl: string;
  nodes?: number;
  withAdmin?: boolean;
  peers?: readonly string[];
  tables?: readonly string[];
}): DeployFolder {
  const root = mkdtempSync(join(tmpdir(), 'msk-compose-'));
  const dir = join(root, 'deploy');
  const peers = options.peers ? ['--peers', options.peers.join(',')] : [];
  const tables = options.tables ? ['--tables', options.tables.join(',')] : [];
  execFileSync(
    process.execPath,
    [
      KIT_CLI,
      'init',
      '--out',
      dir,
      '--nodes',
      String(options.nodes ?? 2),
      '--public-url',
      options.publicUrl,
      ...peers,
      ...tables,
    ],
    { cwd: REPO_ROOT, stdio: 'pipe' },
  );
  if (options.withAdmin) addAdmin(dir);
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** An env file's values, as the containers read them. */
export function envFileValues(path: string): Record<string, string> {
  return Object.fromEntries(parseEnvFile(readFileSync(path, 'utf8')).entries.map((entry) => [entry.key, entry.value]));
}

/** What an operator adds to shared.env to choose the first admin (otherwise each node prints a generated password). */
export function addAdmin(deployDir: string): void {
  appendFileSync(join(deployDir, 'shared.env'), `ADMIN_EMAIL=${ADMIN.email}\nADMIN_PASSWORD=${ADMIN.password}\n`);
}

/** The variables compose/ reads: where init wrote, which base images, which project images, where to publish. */
export function composeVariables(deployDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DEPLOY_DIR: deployDir,
    POSTGRES_IMAGE: postgresImage(),
    NGINX_IMAGE: nginxImage(),
    MSK_REGISTRY: LOCAL_IMAGE_REGISTRY,
    ...extra,
  };
}

export interface ComposeResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `docker compose <args>` in `composeDir` with only `variables` (plus PATH and HOME) in its environment, so
 * nothing from the test runner's environment leaks into what Compose resolves.
 */
export function dockerCompose(
  composeDir: string,
  args: readonly string[],
  variables: Record<string, string> = {},
): ComposeResult {
  const result = spawnSync('docker', ['compose', ...args], {
    cwd: composeDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...variables },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `docker compose -f <file> config --format json`: how Compose itself reads and validates the file. */
export function composeConfig(composeDir: string, file: string, variables: Record<string, string>): ComposeResult {
  return dockerCompose(composeDir, ['-f', file, 'config', '--format', 'json'], variables);
}
