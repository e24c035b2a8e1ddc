/**
 * docs/compose.md's commands, run as a reader runs them: in a checkout of this repository (a sandbox folder whose
 * entries link to this one, with its own compose/ and deploy/, so the real checkout's deploy/ and compose/.env are
 * never touched), with Docker Compose v5 and only the settings compose/.env.example documents (project name,
 * registry, base images, where the entry point is published) taken from this test's environment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import {
  type PinnedImages,
  composeVariables,
  pinProjectImages,
  testResourceName,
  envFileValues,
} from './support/composeProject';
import { freeEntryPoint } from './support/publishedNodes';
import { REPO_ROOT } from './support/containerSettings';
import { type SandboxCheckout, runBlock, sandboxCheckout } from './support/docsSandbox';

const PAGE = 'docs/compose.md';

describe('docs/compose.md: two nodes on one Docker host, as the page says', () => {
  const PROJECT = testResourceName('docs');
  let sandbox: SandboxCheckout;
  let images: PinnedImages;
  let environment: Record<string, string>;
  let entryUrl: string;

  beforeAll(async () => {
    sandbox = sandboxCheckout();
    images = pinProjectImages();
    const entry = await freeEntryPoint();
    entryUrl = entry.url;
    const { DEPLOY_DIR: _unused, ...settings } = composeVariables('', {
      MSK_REGISTRY: images.registry,
      ENTRY_POINT_PUBLISH: entry.publish,
    });
    environment = { COMPOSE_PROJECT_NAME: PROJECT, ...settings };
  });

  afterAll(() => {
    spawnSync('docker', ['compose', 'down', '--volumes', '--timeout', '0'], {
      cwd: join(sandbox.dir, 'compose'),
      env: { ...process.env, ...environment },
      stdio: 'ignore',
    });
    images?.remove();
    sandbox?.remove();
  });

  it('compose-env-file: copies .env.example to compose/.env', () => {
    const result = runBlock(docsCommands('docs/compose.md', 'compose-env-file'), sandbox.dir);
    expect(result).toEqual({ status: 0, output: '' });
    expect(readFileSync(join(sandbox.dir, 'compose', '.env'), 'utf8')).toBe(
      readFileSync(join(REPO_ROOT, 'compose', '.env.example'), 'utf8'),
    );
  });

  it('compose-two-nodes: init, then up --wait returns with every service running and the entry point answering', async () => {
    const result = runBlock(docsCommands('docs/compose.md', 'compose-two-nodes'), sandbox.dir, environment);
    expect({ status: result.status, tail: result.status === 0 ? '' : result.output.slice(-3000) }).toEqual({
      status: 0,
      tail: '',
    });
    for (const file of ['shared.env', 'node-1.env', 'node-2.env', 'postgres-superuser-password'])
      expect(existsSync(join(sandbox.dir, 'deploy', file))).toBe(true);
    for (const service of [
      'node-1',
      'postgres-1',
      'app-1',
      'sync-1',
      'node-2',
      'postgres-2',
      'app-2',
      'sync-2',
      'entry-point',
    ]) {
      expect(result.output).toMatch(new RegExp(`^${PROJECT}-${service}-1\\s`, 'm')); // docker compose ps lists it
    }
    expect((await fetch(`${entryUrl}/api/health`)).status).toBe(200);
  });

  it('compose-two-nodes-status: shows "Peers Connected: 1" within a few seconds', async () => {
    const output = await eventually(
      async () => {
        const result = runBlock(docsCommands('docs/compose.md', 'compose-two-nodes-status'), sandbox.dir, environment);
        if (result.status !== 0 || !result.output.includes('Peers Connected: 1')) throw new Error(result.output);
        return result.output;
      },
      { what: `${PAGE} compose-two-nodes-status showing "Peers Connected: 1"`, timeoutMs: 60_000 },
    );
    expect(output).toMatch(/^node-2\b.*authenticated/m);
  });

  it("compose-two-nodes-down: stops and removes the containers, keeps the databases' volumes", () => {
    const result = runBlock(docsCommands('docs/compose.md', 'compose-two-nodes-down'), sandbox.dir, environment);
    expect(result.status).toBe(0);
    const left = spawnSync(
      'docker',
      ['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}'],
      { encoding: 'utf8' },
    );
    expect(left.stdout.trim()).toBe('');
    const volumes = spawnSync(
      'docker',
      ['volume', 'ls', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Name}}'],
      { encoding: 'utf8' },
    );
    expect(volumes.stdout.trim().split('\n').sort()).toEqual([
      `${PROJECT}_postgres-data-1`,
      `${PROJECT}_postgres-data-2`,
    ]);
  });
});

describe('docs/compose.md: the LAN configuration and the from-source build', () => {
  let sandbox: SandboxCheckout;
  beforeAll(() => {
    sandbox = sandboxCheckout();
  });
  afterAll(() => sandbox?.remove());

  it("compose-lan-init: writes every server's files with the one public URL", () => {
    const result = runBlock(docsCommands('docs/compose.md', 'compose-lan-init'), sandbox.dir);
    expect(result.status).toBe(0);
    const deploy = join(sandbox.dir, 'deploy');
    expect(envFileValues(join(deploy, 'shared.env')).NEXTAUTH_URL).toBe('http://192.168.1.100:8080');
    expect(['node-1.env', 'node-2.env'].map((file) => envFileValues(join(deploy, file)).SYNC_NODE_NAME)).toEqual([
      'node-1',
      'node-2',
    ]);
    expect(readFileSync(join(deploy, 'postgres-superuser-password'), 'utf8')).toMatch(/^[0-9a-f]{48}\n$/);
  });

  it('compose-build: the file resolves (config), and the build command is the one the page explains; the build itself cannot run here', () => {
    const commands = docsCommands('docs/compose.md', 'compose-build');
    expect(commands).toEqual([
      'cd compose',
      'docker compose -f docker-compose.build.yml config --quiet',
      'docker compose -f docker-compose.build.yml build',
    ]);
    // Not run: npm ci inside a container cannot verify the registry's certificate on CI machines, and there is no buildx.
    const result = runBlock(commands.slice(0, 2), sandbox.dir, {
      NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: 'dGVzdCBrZXkgdGVzdCBrZXkgdGVzdCBrZXkgdGVzdCA=',
    });
    expect(result).toEqual({ status: 0, output: '' });
  });
});
