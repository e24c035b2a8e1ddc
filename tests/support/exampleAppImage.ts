/**
 * The image of examples/field-desk, made the way the project's own images are made on machines whose containers
 * cannot reach the npm registry: the app is built on the host (`npm run build --workspace examples/field-desk`: a
 * Next.js standalone folder), copied into the Dockerfile's `prebuilt` stage FROM the same Node image the project's
 * images use (official, or its offline stand-in). Nothing is pulled. The Kubernetes tests then import it into the
 * cluster (.ci/kubernetes/load-images.sh).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT as REPO_ROOT } from './docsCommands';

const execFileAsync = promisify(execFile);
export const EXAMPLE_APP_DIR = join(REPO_ROOT, 'examples', 'field-desk');
const OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;

export interface ExampleAppImage {
  readonly repository: string;
  readonly tag: string;
  /** repository:tag */
  readonly name: string;
  remove(): Promise<void>;
}

async function run(command: string, args: readonly string[], cwd = REPO_ROOT): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, maxBuffer: OUTPUT_LIMIT_BYTES, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failed.message}\n${(failed.stderr ?? '').slice(-3000)}${(failed.stdout ?? '').slice(-2000)}`,
    );
  }
}

/** The Node image app/Dockerfile builds on, as .ci/containers/lib.sh names it: the official one if present, else its stand-in. */
async function nodeImage(): Promise<string> {
  const names = await run('bash', [
    '-c',
    `. .ci/containers/lib.sh && printf '%s\\n' "$OFFICIAL_NODE_IMAGE" "$STANDIN_NODE_IMAGE"`,
  ]);
  const [official, standIn] = names.split('\n') as [string, string];
  const present = async (image: string) =>
    execFileAsync('docker', ['image', 'inspect', image]).then(
      () => true,
      () => false,
    );
  if (await present(official)) return official;
  if (await present(standIn)) return standIn;
  throw new Error(
    `Neither ${official} nor its stand-in ${standIn} is in the Docker engine. Fix: run \`sudo .ci/containers/provision.sh standins\`.`,
  );
}

/** Builds the app and its image, tagged with the app's package version. */
export async function buildExampleAppImage(repository: string): Promise<ExampleAppImage> {
  const { version } = JSON.parse(readFileSync(join(EXAMPLE_APP_DIR, 'package.json'), 'utf8')) as { version: string };
  const image = `${repository}:${version}`;
  await run('npm', ['run', 'build', '--workspace', 'examples/field-desk']);
  const context = mkdtempSync(join(tmpdir(), 'msk-field-desk-image-'));
  try {
    cpSync(join(EXAMPLE_APP_DIR, '.next', 'standalone'), join(context, 'field-desk-standalone'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    cpSync(join(EXAMPLE_APP_DIR, 'Dockerfile'), join(context, 'Dockerfile'));
    await run('docker', [
      'build',
      '-q',
      '--target',
      'prebuilt',
      '--build-arg',
      `NODE_IMAGE=${await nodeImage()}`,
      '-t',
      image,
      context,
    ]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return {
    repository,
    tag: version,
    name: image,
    remove: async () => void (await execFileAsync('docker', ['rmi', image]).catch(() => undefined)),
  };
}
