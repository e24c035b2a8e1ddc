/**
 * examples/field-desk as an image, for the suites that run it in containers or on Kubernetes: its own Dockerfile's
 * `prebuilt` target, filled with the host's standalone build (containers on CI machines cannot reach the npm
 * registry), on the Node.js base our images use. `npm test` builds the example before Jest starts
 * (node kit/dist/cli/main.js build-app --app examples/field-desk).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenericContainer } from 'testcontainers';
import { REPOSITORY_ROOT } from './docsCommands';

export const EXAMPLE_APP_DIR = join(REPOSITORY_ROOT, 'examples', 'field-desk');

/** What the example's package.json tells the kit (multiServerKit) and its version (the image tag). */
export const EXAMPLE_APP = JSON.parse(readFileSync(join(EXAMPLE_APP_DIR, 'package.json'), 'utf8')) as {
  version: string;
  multiServerKit: { probePath: string; replicatedTables: string[]; env: Record<string, string> };
};

/** The example image's own port (its Dockerfile's PORT), not the reference app's 8080. */
export const EXAMPLE_APP_PORT = 3000;

/** Builds the image `tag` with the engine Testcontainers talks to; the staged context is removed afterwards. */
export async function buildExampleAppImage(tag: string, nodeImage: string): Promise<void> {
  const standalone = join(EXAMPLE_APP_DIR, '.next', 'standalone');
  if (!existsSync(join(standalone, 'examples', 'field-desk', 'server.js'))) {
    throw new Error(`${standalone} has no server.js: build the example first (node kit/dist/cli/main.js build-app --app examples/field-desk; npm test does)`);
  }
  const context = mkdtempSync(join(tmpdir(), 'field-desk-image-'));
  try {
    // verbatimSymlinks: .next/node_modules holds relative links into the standalone node_modules; keep them.
    cpSync(standalone, join(context, 'field-desk-standalone'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(EXAMPLE_APP_DIR, 'Dockerfile'), join(context, 'Dockerfile'));
    await GenericContainer.fromDockerfile(context).withBuildArgs({ NODE_IMAGE: nodeImage }).withTarget('prebuilt').build(tag, { deleteOnExit: false });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}
