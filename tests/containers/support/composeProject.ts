/**
 * compose/ as a user runs it, driven from tests: configuration written by the real `npm run init` CLI into a
 * temporary deploy folder, Debian's docker-compose (v1) run on compose/docker-compose.yml itself.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, REPO_ROOT, nginxImage, postgresImage } from './containerSettings';

export const KIT_CLI = join(REPO_ROOT, 'kit', 'dist', 'cli', 'main.js');

export interface DeployFolder {
  /** Holds shared.env and node-N.env as `npm run init` wrote them. */
  readonly dir: string;
  remove(): void;
}

/** Runs `msk init` (what `npm run init` runs) into a fresh temporary folder. */
export function initDeployFolder(options: { publicUrl: string; nodes?: number; withAdmin?: boolean }): DeployFolder {
  const root = mkdtempSync(join(tmpdir(), 'msk-compose-'));
  const dir = join(root, 'deploy');
  execFileSync(
    process.execPath,
    [KIT_CLI, 'init', '--out', dir, '--nodes', String(options.nodes ?? 2), '--public-url', options.publicUrl],
    { cwd: REPO_ROOT, stdio: 'pipe' },
  );
  if (options.withAdmin) {
    // What an operator adds to shared.env to choose the first admin (otherwise each node prints a generated password).
    appendFileSync(join(dir, 'shared.env'), `ADMIN_EMAIL=${ADMIN.email}\nADMIN_PASSWORD=${ADMIN.password}\n`);
  }
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The variables compose/ reads: where init wrote, which base images, where to publish. */
export function composeVariables(deployDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DEPLOY_DIR: deployDir,
    POSTGRES_IMAGE: postgresImage(),
    NGINX_IMAGE: nginxImage(),
    ...extra,
  };
}

export interface ComposeConfigResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `docker-compose -f <file> config`: how Compose itself reads and validates the file. */
export function composeConfig(composeDir: string, file: string, variables: Record<string, string>): ComposeConfigResult {
  const result = spawnSync('docker-compose', ['-f', file, 'config'], {
    cwd: composeDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...variables },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
