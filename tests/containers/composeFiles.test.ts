/**
 * The compose files as Compose itself reads them: Docker Compose v5 runs `config` on each file with the files
 * `npm run init` writes, and the tests check what it resolved: a project name, the released images by default,
 * the superuser's password as a secret, .env.example holding every setting with the files' own defaults.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DeployFolder,
  composeConfig,
  composeVariables,
  dockerCompose,
  initDeployFolder,
  envFileValues,
} from './support/composeProject';
import { parseEnvFile } from '@msk/contract/envFile';
import { COMPOSE_DIR, REPO_ROOT } from './support/containerSettings';

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string>; secrets?: Array<{ source: string }> };
  secrets?: Array<{ source: string; target: string }>;
  init?: boolean;
  restart?: string;
  read_only?: boolean;
  tmpfs?: string[];
  network_mode?: string;
  ports?: unknown[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  healthcheck?: {
    test?: string[];
    disable?: boolean;
    start_period?: string;
    interval?: string;
    timeout?: string;
    retries?: number;
  };
  env_file?: unknown;
  volumes?: Array<{ type: string; source: string; target: string; read_only?: boolean }>;
  depends_on?: Record<string, { condition: string }>;
}

interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

const APP_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'app', 'package.json'), 'utf8')) as { version: string })
  .version;
/** Where the release workflow publishes the images (MSK_REGISTRY's default). */
const DEFAULT_REGISTRY = 'ghcr.io/multi-server-kit';
const COMPOSE_FILES = [
  'docker-compose.yml',
  'docker-compose.lan.yml',
  'docker-compose.build.yml',
  'docker-compose.shared-db.yml',
];

function parsedConfig(file: string, variables: Record<string, string>): ComposeFile {
  const result = composeConfig(COMPOSE_DIR, file, variables);
  if (result.status !== 0) throw new Error(`docker compose -f ${file} config failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as ComposeFile;
}

/** depends_on without the dependency Compose adds by itself for network_mode: service:<holder>. */
function declaredDependencies(service: ComposeService): Record<string, { condition: string }> {
  return Object.fromEntries(
    Object.entries(service.depends_on ?? {})
      .filter(([name]) => service.network_mode !== `service:${name}`)
      .map(([name, { condition }]) => [name, { condition }]),
  );
}

/** What both compose files give the postgres image (compose.test.ts proves a wrong password is refused). */
const POSTGRES_AUTHENTICATION = {
  POSTGRES_USER: 'postgres',
  POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256 --auth-local=peer',
  POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256',
};

describe('compose/docker-compose.yml as Docker Compose v5 reads it', () => {
  let deploy: DeployFolder;
  let config: ComposeFile;
  const service = (name: string) => config.services[name] as ComposeService;

  beforeAll(() => {
    deploy = initDeployFolder({ publicUrl: 'http://127.0.0.1:8080' });
    config = parsedConfig('docker-compose.yml', composeVariables(deploy.dir));
  });
  afterAll(() => deploy?.remove());

  it('has two nodes of app, sync service and PostgreSQL, and one entry point', () => {
    expect(Object.keys(config.services).sort()).toEqual(
      ['app-1', 'app-2', 'entry-point', 'node-1', 'node-2', 'postgres-1', 'postgres-2', 'sync-1', 'sync-2'].sort(),
    );
    expect(config.name).toBe('multi-server-kit');
  });

  it("runs the released images <MSK_REGISTRY>/multi-server-kit/{app,sync}:<MSK_VERSION>, the app's version by default, never a build", () => {
    const defaults = parsedConfig('docker-compose.yml', { DEPLOY_DIR: deploy.dir });
    for (const n of [1, 2]) {
      expect(defaults.services[`app-${n}`]?.image).toBe(`${DEFAULT_REGISTRY}/multi-server-kit/app:${APP_VERSION}`);
      expect(defaults.services[`sync-${n}`]?.image).toBe(`${DEFAULT_REGISTRY}/multi-server-kit/sync:${APP_VERSION}`);
    }
    const mirrored = parsedConfig('docker-compose.yml', {
      DEPLOY_DIR: deploy.dir,
      MSK_REGISTRY: 'registry.example.com:5000/team',
      MSK_VERSION: '9.8.7',
    });
    expect(mirrored.services['app-2']?.image).toBe('registry.example.com:5000/team/multi-server-kit/app:9.8.7');
    expect(mirrored.services['sync-1']?.image).toBe('registry.example.com:5000/team/multi-server-kit/sync:9.8.7');
    for (const each of Object.values(defaults.services)) expect(each.build).toBeUndefined();
  });

  it('gives app-N and sync-N every value of shared.env and node-N.env exactly as init wrote it (quotes removed)', () => {
    const shared = envFileValues(join(deploy.dir, 'shared.env'));
    expect(shared.APP_NAME).toContain(' '); // init quotes values with spaces: Compose must unquote them
    for (const n of [1, 2]) {
      const expected = { ...shared, ...envFileValues(join(deploy.dir, `node-${n}.env`)) };
      // The app also trusts the entry point's forwarded headers: its network's private ranges unless shared.env says otherwise.
      const { TRUSTED_PROXIES, ...appFromFiles } = service(`app-${n}`).environment ?? {};
      expect(appFromFiles).toEqual(expected);
      expect(TRUSTED_PROXIES).toBe('10.0.0.0/8,172.16.0.0/12,192.168.0.0/16');
      const { SYNC_DISCOVERY, SYNC_PEERS, ...fromFiles } = service(`sync-${n}`).environment ?? {};
      expect(fromFiles).toEqual(
        Object.fromEntries(Object.entries(expected).filter(([key]) => key !== 'SYNC_DISCOVERY')),
      );
      expect({ SYNC_DISCOVERY, SYNC_PEERS }).toEqual({ SYNC_DISCOVERY: 'static', SYNC_PEERS: `node-${3 - n}:8765` });
    }
  });

  it('runs app, sync and the entry point under an init process, everything with a restart policy', () => {
    for (const name of ['app-1', 'app-2', 'sync-1', 'sync-2', 'entry-point', 'node-1', 'node-2']) {
      expect(service(name).init).toBe(true);
    }
    for (const name of Object.keys(config.services)) expect(service(name).restart).toBe('unless-stopped');
  });

  it("runs app and sync with a read-only root filesystem, writable only in /tmp (and the app's .next/cache)", () => {
    for (const n of [1, 2]) {
      expect(service(`app-${n}`)).toMatchObject({ read_only: true, tmpfs: ['/tmp', '/app/.next/cache'] });
      expect(service(`sync-${n}`)).toMatchObject({ read_only: true, tmpfs: ['/tmp'] });
    }
  });

  it("checks the app's health itself (GET /api/health by default, with the image's node), a long grace for a first start (the entry point waits for it)", () => {
    for (const n of [1, 2]) {
      const check = service(`app-${n}`).healthcheck;
      expect(check).toMatchObject({ interval: '5s', timeout: '3s', retries: 3, start_period: '3m0s' });
      expect(check?.test?.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(check?.test?.[4]).toBe('/api/health');
    }
  });

  it('takes another app as settings: APP_IMAGE, APP_PORT (app, sync and entry point), APP_HEALTH_PATH (empty: TCP), APP_CACHE_PATH', () => {
    const other = parsedConfig(
      'docker-compose.yml',
      composeVariables(deploy.dir, {
        APP_IMAGE: 'registry.example.com/team/crm:1.4.2',
        APP_PORT: '3000',
        APP_HEALTH_PATH: '',
        APP_CACHE_PATH: '/srv/app/.next/cache',
      }),
    );
    for (const n of [1, 2]) {
      const app = other.services[`app-${n}`] as ComposeService;
      expect(app.image).toBe('registry.example.com/team/crm:1.4.2');
      expect(app.environment?.PORT).toBe('3000');
      expect(app.healthcheck?.test?.[4]).toBe('');
      expect(app.tmpfs).toEqual(['/tmp', '/srv/app/.next/cache']);
      expect(other.services[`sync-${n}`]?.environment?.SYNC_HTTP_PORT).toBe('3000');
      expect(other.services[`sync-${n}`]?.image).toContain('/multi-server-kit/sync:');
    }
    expect(other.services['entry-point']?.command?.[2]).toContain("sed 's/@APP_PORT@/3000/g'");
  });

  it("reads the app's own extra variables from <DEPLOY_DIR>/app.env when it exists, and needs no such file", () => {
    expect(service('app-1').environment?.LOG_FORMAT).toBeUndefined();
    writeFileSync(join(deploy.dir, 'app.env'), 'LOG_FORMAT=json\nFEATURE_FLAGS=a,b\n');
    try {
      const withExtras = parsedConfig('docker-compose.yml', composeVariables(deploy.dir));
      for (const n of [1, 2])
        expect(withExtras.services[`app-${n}`]?.environment).toMatchObject({
          LOG_FORMAT: 'json',
          FEATURE_FLAGS: 'a,b',
        });
      expect(withExtras.services['sync-1']?.environment?.LOG_FORMAT).toBeUndefined();
    } finally {
      rmSync(join(deploy.dir, 'app.env'));
    }
  });

  it('gives every sync service the REPLICATED_TABLES `init --tables` wrote into shared.env, the same on both nodes', () => {
    const crm = initDeployFolder({ publicUrl: 'http://127.0.0.1:8080', tables: ['accounts', 'contacts'] });
    try {
      const resolved = parsedConfig('docker-compose.yml', composeVariables(crm.dir));
      for (const n of [1, 2])
        expect(resolved.services[`sync-${n}`]?.environment?.REPLICATED_TABLES).toBe('accounts,contacts');
    } finally {
      crm.remove();
    }
  });

  it("puts each node's app, sync service and PostgreSQL in its node-N network namespace and publishes only the entry point", () => {
    for (const n of [1, 2]) {
      for (const part of ['app', 'sync', 'postgres'])
        expect(service(`${part}-${n}`).network_mode).toBe(`service:node-${n}`);
    }
    const published = Object.entries(config.services)
      .filter(([, s]) => s.ports !== undefined)
      .map(([name]) => name);
    expect(published).toEqual(['entry-point']);
    expect(service('entry-point').ports).toEqual([
      { mode: 'ingress', published: '8080', target: 8080, protocol: 'tcp' },
    ]);
  });

  it("sends the entry point's traffic to node-1 and node-2 on the app's port (APP_PORT), the addresses the sync services use for each other", () => {
    const nginx = readFileSync(join(COMPOSE_DIR, 'entry-point', 'nginx.conf'), 'utf8');
    const upstreamBlock = /upstream platform_nodes \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    const upstreams = [...upstreamBlock.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]);
    expect(upstreams).toEqual(['node-1:@APP_PORT@', 'node-2:@APP_PORT@']);
    expect(nginx).toMatch(/listen 8080;/);
    expect(service('entry-point').command).toEqual([
      'sh',
      '-c',
      "sed 's/@APP_PORT@/8080/g' /etc/nginx/templates/platform.conf > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'",
    ]);
  });

  it("connects the app and the sync service to their own node's database as msk_app and msk_sync, whose setup the initdb script does", () => {
    const shared = envFileValues(join(deploy.dir, 'shared.env'));
    for (const n of [1, 2]) {
      const node = envFileValues(join(deploy.dir, `node-${n}.env`));
      const appUrl = new URL(node.DATABASE_URL as string);
      const syncUrl = new URL(node.SYNC_DATABASE_URL as string);
      expect([appUrl.username, syncUrl.username]).toEqual(['msk_app', 'msk_sync']);
      const postgres = service(`postgres-${n}`);
      for (const url of [appUrl, syncUrl]) {
        expect(['localhost', '127.0.0.1']).toContain(url.hostname);
        expect(postgres.environment?.POSTGRES_DB).toBe(url.pathname.slice(1));
      }
      // the initdb script reads the roles' passwords from the container's environment
      expect(postgres.environment).toMatchObject({
        DATABASE_PASSWORD: shared.DATABASE_PASSWORD,
        SYNC_DATABASE_PASSWORD: shared.SYNC_DATABASE_PASSWORD,
      });
      expect(postgres.command).toEqual(['postgres', '-c', 'listen_addresses=127.0.0.1']);
    }
  });

  it("trusts no connection: scram-sha-256 on every address (localhost too), peer on the socket, the superuser's password a secret", () => {
    for (const n of [1, 2]) {
      const postgres = service(`postgres-${n}`);
      expect(postgres.environment).toMatchObject(POSTGRES_AUTHENTICATION);
      expect(postgres.environment?.POSTGRES_PASSWORD).toBeUndefined();
      expect(postgres.environment?.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_superuser_password');
      expect(postgres.secrets).toEqual([
        { source: 'postgres_superuser_password', target: '/run/secrets/postgres_superuser_password' },
      ]);
      expect(postgres.entrypoint ?? null).toBeNull(); // the image's own entrypoint: no shell wrapper
    }
    expect(config.secrets?.postgres_superuser_password?.file).toBe(join(deploy.dir, 'postgres-superuser-password'));
  });

  it("keeps each database in its own named volume and mounts the roles' initdb script", () => {
    expect(Object.keys(config.volumes ?? {}).sort()).toEqual(['postgres-data-1', 'postgres-data-2']);
    for (const n of [1, 2]) {
      expect(service(`postgres-${n}`).volumes).toEqual([
        { type: 'volume', source: `postgres-data-${n}`, target: '/var/lib/postgresql/data', volume: {} },
        {
          type: 'bind',
          source: join(COMPOSE_DIR, 'postgres-initdb'),
          target: '/docker-entrypoint-initdb.d',
          read_only: true,
          bind: {},
        },
      ]);
    }
  });

  it('starts the apps only on a healthy database, and the entry point only on healthy apps', () => {
    expect(service('postgres-1').healthcheck?.test).toEqual([
      'CMD',
      'pg_isready',
      '-h',
      '127.0.0.1',
      '-U',
      'msk_app',
      '-d',
      'multi_business_db',
    ]);
    for (const n of [1, 2]) {
      expect(declaredDependencies(service(`app-${n}`))).toEqual({
        [`postgres-${n}`]: { condition: 'service_healthy' },
      });
      expect(declaredDependencies(service(`sync-${n}`))).toEqual({
        [`postgres-${n}`]: { condition: 'service_healthy' },
      });
    }
    expect(declaredDependencies(service('entry-point'))).toEqual({
      'app-1': { condition: 'service_healthy' },
      'app-2': { condition: 'service_healthy' },
    });
  });
});

describe('compose/docker-compose.lan.yml (one node per server) as Docker Compose v5 reads it', () => {
  let deploy: DeployFolder;
  beforeAll(() => {
    deploy = initDeployFolder({ publicUrl: 'http://192.168.1.100:8080' });
  });
  afterAll(() => deploy?.remove());

  it('runs app, sync service and PostgreSQL on the host network with the identity of node MSK_NODE', () => {
    const result = composeConfig(
      COMPOSE_DIR,
      'docker-compose.lan.yml',
      composeVariables(deploy.dir, { MSK_NODE: '2' }),
    );
    expect(result.stderr).toBe('');
    const config = JSON.parse(result.stdout) as ComposeFile;
    expect(config.name).toBe('multi-server-kit-lan');
    expect(Object.keys(config.services).sort()).toEqual(['app', 'postgres', 'sync']);
    const node2 = envFileValues(join(deploy.dir, 'node-2.env'));
    for (const name of ['app', 'sync', 'postgres']) expect(config.services[name]?.network_mode).toBe('host');
    for (const name of ['app', 'sync']) {
      expect(config.services[name]).toMatchObject({ init: true, restart: 'unless-stopped', read_only: true });
      expect(config.services[name]?.environment).toMatchObject({
        SYNC_NODE_ID: node2.SYNC_NODE_ID,
        SYNC_NODE_NAME: 'node-2',
      });
    }
    // init without --peers: mDNS discovery, which is why this file uses the host's network
    expect(config.services.sync?.environment?.SYNC_DISCOVERY).toBe('mdns');
    expect(config.services.postgres?.command).toEqual(['postgres', '-c', 'listen_addresses=127.0.0.1']);
    expect(Object.keys(config.volumes ?? {})).toEqual(['postgres-data']);
  });

  it("trusts no connection on the host's network: the same authentication and roles as docker-compose.yml", () => {
    const config = parsedConfig('docker-compose.lan.yml', composeVariables(deploy.dir, { MSK_NODE: '1' }));
    const postgres = config.services.postgres;
    expect(postgres?.environment).toMatchObject(POSTGRES_AUTHENTICATION);
    expect(postgres?.environment?.POSTGRES_PASSWORD_FILE).toBe('/run/secrets/postgres_superuser_password');
    expect(postgres?.secrets).toEqual([
      { source: 'postgres_superuser_password', target: '/run/secrets/postgres_superuser_password' },
    ]);
    expect(postgres?.entrypoint ?? null).toBeNull();
    expect(config.secrets?.postgres_superuser_password?.file).toBe(join(deploy.dir, 'postgres-superuser-password'));
    expect(postgres?.volumes).toContainEqual({
      type: 'bind',
      source: join(COMPOSE_DIR, 'postgres-initdb'),
      target: '/docker-entrypoint-initdb.d',
      read_only: true,
      bind: {},
    });
    const node = envFileValues(join(deploy.dir, 'node-1.env'));
    expect([new URL(node.DATABASE_URL as string).username, new URL(node.SYNC_DATABASE_URL as string).username]).toEqual(
      ['msk_app', 'msk_sync'],
    );
  });

  it('refuses to start without MSK_NODE, saying which node file it needs', () => {
    const result = composeConfig(COMPOSE_DIR, 'docker-compose.lan.yml', composeVariables(deploy.dir));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/set MSK_NODE to this server's node number/);
  });

  it('runs the released images, the same on every server, and builds nothing', () => {
    const config = parsedConfig('docker-compose.lan.yml', { DEPLOY_DIR: deploy.dir, MSK_NODE: '1' });
    expect(config.services.app?.image).toBe(`${DEFAULT_REGISTRY}/multi-server-kit/app:${APP_VERSION}`);
    expect(config.services.sync?.image).toBe(`${DEFAULT_REGISTRY}/multi-server-kit/sync:${APP_VERSION}`);
    for (const each of Object.values(config.services)) expect(each.build).toBeUndefined();
  });
});

describe('compose/docker-compose.build.yml: the from-source option, built once', () => {
  it('builds both images under the names the other files run, the Server Actions key a build secret and the deployment ID an argument', () => {
    const config = parsedConfig('docker-compose.build.yml', {
      NEXT_DEPLOYMENT_ID: 'msk-app-9-8-7',
      MSK_VERSION: '9.8.7',
    });
    expect(config.name).toBe('multi-server-kit-build');
    expect(Object.keys(config.services).sort()).toEqual(['app', 'sync']);
    expect(config.services.app).toMatchObject({
      image: `${DEFAULT_REGISTRY}/multi-server-kit/app:9.8.7`,
      build: { context: REPO_ROOT, dockerfile: 'app/Dockerfile', args: { NEXT_DEPLOYMENT_ID: 'msk-app-9-8-7' } },
    });
    expect(config.services.app?.build?.secrets).toEqual([{ source: 'server_actions_key' }]);
    expect(config.secrets).toEqual({
      server_actions_key: {
        name: 'multi-server-kit-build_server_actions_key',
        environment: 'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
      },
    });
    expect(config.services.sync).toMatchObject({
      image: `${DEFAULT_REGISTRY}/multi-server-kit/sync:9.8.7`,
      build: { context: REPO_ROOT, dockerfile: 'sync/Dockerfile' },
    });
  });

  it("hands the key and the deployment ID to app/Dockerfile's build stage, which takes them", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'app', 'Dockerfile'), 'utf8');
    const buildStage = dockerfile.slice(dockerfile.indexOf(' AS build'), dockerfile.lastIndexOf('\nFROM '));
    expect(buildStage).toMatch(/^ARG NEXT_DEPLOYMENT_ID=$/m);
    expect(buildStage).toMatch(/RUN --mount=type=secret,id=server_actions_key\b/);
    expect(buildStage).toContain('NEXT_SERVER_ACTIONS_ENCRYPTION_KEY="$(cat /run/secrets/server_actions_key)"');
    expect(dockerfile).not.toMatch(/^ARG NEXT_SERVER_ACTIONS_ENCRYPTION_KEY/m); // a secret never as an argument
  });
});

describe('compose/.env.example', () => {
  const example = readFileSync(join(COMPOSE_DIR, '.env.example'), 'utf8');
  const entries = parseEnvFile(example).entries;

  it("lists every variable the compose files read, each with the files' own default (MSK_NODE commented: it has none)", () => {
    const referenced = new Set<string>();
    for (const file of COMPOSE_FILES) {
      for (const match of readFileSync(join(COMPOSE_DIR, file), 'utf8').matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g))
        referenced.add(match[1] as string);
    }
    const listed = entries.map((entry) => entry.key);
    // commented: MSK_NODE has no default, APP_IMAGE's is made of MSK_REGISTRY and MSK_VERSION
    expect([...referenced].filter((name) => !listed.includes(name)).sort()).toEqual(['APP_IMAGE', 'MSK_NODE']);
    expect(example).toMatch(/^# MSK_NODE=1$/m);
    expect(example).toMatch(/^# APP_IMAGE=\S+$/m);
    for (const { key, value } of entries) {
      const defaults = new Set<string>();
      for (const file of COMPOSE_FILES) {
        for (const match of readFileSync(join(COMPOSE_DIR, file), 'utf8').matchAll(
          new RegExp(`\\$\\{${key}:?-([^}]*)\\}`, 'g'),
        ))
          defaults.add(match[1] as string);
      }
      expect({ key, defaults: [...defaults] }).toEqual({ key, defaults: [value] });
    }
  });

  it('changes nothing when used as compose/.env: docker compose resolves the same configuration with and without it', () => {
    const deploy = initDeployFolder({ publicUrl: 'http://127.0.0.1:8080' });
    try {
      for (const [file, extra] of [
        ['docker-compose.yml', {}],
        ['docker-compose.lan.yml', { MSK_NODE: '1' }],
        ['docker-compose.build.yml', {}],
        ['docker-compose.shared-db.yml', {}],
      ] as const) {
        const variables = { DEPLOY_DIR: deploy.dir, ...extra };
        const without = dockerCompose(COMPOSE_DIR, ['-f', file, 'config', '--format', 'json'], variables);
        const withExample = dockerCompose(
          COMPOSE_DIR,
          ['--env-file', '.env.example', '-f', file, 'config', '--format', 'json'],
          variables,
        );
        expect({ file, status: withExample.status, stderr: withExample.stderr }).toEqual({
          file,
          status: 0,
          stderr: '',
        });
        expect(JSON.parse(withExample.stdout)).toEqual(JSON.parse(without.stdout));
      }
    } finally {
      deploy.remove();
    }
  });

  it('holds no secret: no variable of the contract that is a secret, no password', () => {
    expect(entries.map((entry) => entry.key).filter((key) => /SECRET|PASSWORD|KEY/.test(key))).toEqual([]);
  });
});
