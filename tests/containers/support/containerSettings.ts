/**
 * What every container test shares: where the repository is, which images run, and the one loopback address
 * containers publish their ports on. The global setup (globalSetup.js) chose the images and set the address.
 */
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const COMPOSE_DIR = join(REPO_ROOT, 'compose');

export const APP_IMAGE = 'multi-server-kit/app:0.1.0';
export const SYNC_IMAGE = 'multi-server-kit/sync:0.1.0';

function fromGlobalSetup(variable: string): string {
  const value = process.env[variable];
  if (!value)
    throw new Error(
      `${variable} is not set: run the container tests through Jest's "containers" project (its globalSetup sets it)`,
    );
  return value;
}

/** The node base image the project images were built on (official or its offline stand-in). */
export function nodeBaseImage(): string {
  return fromGlobalSetup('MSK_NODE_IMAGE');
}

/** The Node.js version the images run (NODE_VERSION in .ci/containers/lib.sh), e.g. "26.12.1". */
export function nodeVersion(): string {
  return fromGlobalSetup('MSK_NODE_VERSION');
}

/** The official node image the Dockerfiles name by default (OFFICIAL_NODE_IMAGE in .ci/containers/lib.sh). */
export function officialNodeImage(): string {
  return fromGlobalSetup('MSK_OFFICIAL_NODE_IMAGE');
}

/** The PostgreSQL major version production runs (POSTGRES_MAJOR in .ci/containers/lib.sh). */
export function postgresMajor(): number {
  return Number(fromGlobalSetup('MSK_POSTGRES_MAJOR'));
}

/** testcontainers/ryuk at the version the installed Testcontainers starts (OFFICIAL_RYUK_IMAGE in lib.sh). */
export function officialRyukImage(): string {
  return fromGlobalSetup('MSK_OFFICIAL_RYUK_IMAGE');
}

export function postgresImage(): string {
  return fromGlobalSetup('MSK_POSTGRES_IMAGE');
}

export function nginxImage(): string {
  return fromGlobalSetup('MSK_NGINX_IMAGE');
}

/** Published ports of every test container are bound to this address only (never to all interfaces). */
export function containerHostAddress(): string {
  return fromGlobalSetup('MSK_CONTAINER_HOST_ADDRESS');
}

/** The sync service's CLI inside the sync image (`npm run service:status` runs the same file). */
export const SERVICE_STATUS_COMMAND = ['node', 'sync/dist/cli/main.js', 'status'];

export const ADMIN = { email: 'admin@example.com', password: 'containers-admin-password-1' } as const;
