/**
 * The compose files as Compose itself reads them: Debian's docker-compose (v1.29) runs `config` on each file with
 * the files `npm run init` writes, and the tests check what it resolved.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseEnvFile } from '../../kit/src/envFile/parseEnvFile';
import { type DeployFolder, composeConfig, composeVariables, initDeployFolder } from './support/composeProject';
import { COMPOSE_DIR } from './support/containerSettings';

interface ComposeService {
  image?: string;
  init?: boolean;
  restart?: string;
  read_only?: boolean;
  tmpfs?: string[];
  network_mode?: string;
  ports?: unknown[];
  environment?: Record<string, string>;
  entrypoint?: string[];
  command?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** What both compose files give the postgres image (compose.test.ts proves a wrong password is refused). */
const POSTGRES_AUTHENTICATION = {
  POSTGRES_USER: 'postgres',
  POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256 --auth-local=peer',
  POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256',
};

function envFileValues(path: string): Record<string, string> {
  return Object.fromEntries(parseEnvFile(readFileSync(path, 'utf8')).entries.map((entry) => [entry.key, entry.value]));
}

describe('compose/docker-compose.yml as docker-compose reads it', () => {
  let deploy: DeployFolder;
  let config: ComposeFile;
  const service = (name: string) => config.services[name] as ComposeService;

  beforeAll(() => {
    deploy = initDeployFolder({ publicUrl: 'http://127.0.0.1:8080' });
    const result = composeConfig(COMPOSE_DIR, 'docker-compose.yml', composeVariables(deploy.dir));
    if (result.status !== 0) throw new Error(`docker-compose config failed:\n${result.stderr}`);
    config = parse(result.stdout) as ComposeFile;
  });
  afterAll(() => deploy?.remove());

  it('has two nodes of app, sync service and PostgreSQL, and one entry point', () => {
    expect(Object.keys(config.services).sort()).toEqual(
      ['app-1', 'app-2', 'entry-point', 'node-1', 'node-2', 'postgres-1', 'postgres-2', 'sync-1', 'sync-2'].sort(),
    );
    expect(service('app-1').image).toBe('multi-server-kit/app:0.1.0');
    expect(service('sync-2').image).toBe('multi-server-kit/sync:0.1.0');
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
      expect(fromFiles).toEqual(Object.fromEntries(Object.entries(expected).filter(([key]) => key !== 'SYNC_DISCOVERY')));
      expect({ SYNC_DISCOVERY, SYNC_PEERS }).toEqual({ SYNC_DISCOVERY: 'static', SYNC_PEERS: `node-${3 - n}:8765` });
    }
  });

  it('runs app, sync and the entry point under an init process, everything with a restart policy', () => {
    for (const name of ['app-1', 'app-2', 'sync-1', 'sync-2', 'entry-point', 'node-1', 'node-2']) {
      expect(service(name).init).toBe(true);
    }
    for (const name of Object.keys(config.services)) expect(service(name).restart).toBe('unless-stopped');
  });

  it('runs app and sync with a read-only root filesystem, writable only in /tmp (and the app\'s .next/cache)', () => {
    for (const n of [1, 2]) {
      expect(service(`app-${n}`)).toMatchObject({ read_only: true, tmpfs: ['/tmp', '/app/.next/cache'] });
      expect(service(`sync-${n}`)).toMatchObject({ read_only: true, tmpfs: ['/tmp'] });
    }
  });

  it('puts each node\'s app, sync service and PostgreSQL in its node-N network namespace and publishes only the entry point', () => {
    for (const n of [1, 2]) {
      for (const part of ['app', 'sync', 'postgres']) expect(service(`${part}-${n}`).network_mode).toBe(`service:node-${n}`);
    }
    const published = Object.entries(config.services).filter(([, s]) => s.ports !== undefined).map(([name]) => name);
    expect(published).toEqual(['entry-point']);
    expect(service('entry-point').ports).toEqual([{ published: 8080, target: 8080 }]);
  });

  it('sends the entry point\'s traffic to node-1:8080 and node-2:8080, the addresses the sync services use for each other', () => {
    const nginx = readFileSync(join(COMPOSE_DIR, 'entry-point', 'nginx.conf'), 'utf8');
    const upstreamBlock = /upstream platform_nodes \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    const upstreams = [...upstreamBlock.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]);
    expect(upstreams).toEqual(['node-1:8080', 'node-2:8080']);
    expect(nginx).toMatch(/listen 8080;/);
  });

  it('connects the app and the sync service to their own node\'s database as msk_app and msk_sync, whose setup the initdb script does', () => {
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

  it('trusts no connection: scram-sha-256 on every address (localhost too), peer on the socket, a superuser password kept nowhere', () => {
    for (const n of [1, 2]) {
      const postgres = service(`postgres-${n}`);
      expect(postgres.environment).toMatchObject(POSTGRES_AUTHENTICATION);
      expect(postgres.entrypoint?.join(' ')).toContain('POSTGRES_PASSWORD="$$(od -An -N24 -tx1 /dev/urandom');
      expect(postgres.entrypoint?.join(' ')).not.toContain('DATABASE_PASSWORD');
    }
  });

  it('keeps each database in its own named volume and mounts the roles\' initdb script', () => {
    expect(Object.keys(config.volumes ?? {}).sort()).toEqual(['postgres-data-1', 'postgres-data-2']);
    for (const n of [1, 2]) {
      expect(service(`postgres-${n}`).volumes).toEqual([
        `postgres-data-${n}:/var/lib/postgresql/data:rw`,
        `${join(COMPOSE_DIR, 'postgres-initdb')}:/docker-entrypoint-initdb.d:ro`,
      ]);
    }
  });

  it('starts the apps only on a healthy database, and the entry point only on healthy apps', () => {
    expect(service('postgres-1').healthcheck?.test).toEqual(['CMD', 'pg_isready', '-h', '127.0.0.1', '-U', 'msk_app', '-d', 'multi_business_db']);
    for (const n of [1, 2]) {
      expect(service(`app-${n}`).depends_on).toEqual({ [`postgres-${n}`]: { condition: 'service_healthy' } });
      expect(service(`sync-${n}`).depends_on).toEqual({ [`postgres-${n}`]: { condition: 'service_healthy' } });
    }
    expect(service('entry-point').depends_on).toEqual({
      'app-1': { condition: 'service_healthy' },
      'app-2': { condition: 'service_healthy' },
    });
  });
});

describe('compose/docker-compose.lan.yml (one node per server) as docker-compose reads it', () => {
  let deploy: DeployFolder;
  beforeAll(() => {
    deploy = initDeployFolder({ publicUrl: 'http://192.168.1.100:8080' });
  });
  afterAll(() => deploy?.remove());

  it('runs app, sync service and PostgreSQL on the host network with the identity of node MSK_NODE', () => {
    const result = composeConfig(COMPOSE_DIR, 'docker-compose.lan.yml', composeVariables(deploy.dir, { MSK_NODE: '2' }));
    expect(result.stderr).toBe('');
    const config = parse(result.stdout) as ComposeFile;
    expect(Object.keys(config.services).sort()).toEqual(['app', 'postgres', 'sync']);
    const node2 = envFileValues(join(deploy.dir, 'node-2.env'));
    for (const name of ['app', 'sync', 'postgres']) expect(config.services[name]?.network_mode).toBe('host');
    for (const name of ['app', 'sync']) {
      expect(config.services[name]).toMatchObject({ init: true, restart: 'unless-stopped', read_only: true });
      expect(config.services[name]?.environment).toMatchObject({ SYNC_NODE_ID: node2.SYNC_NODE_ID, SYNC_NODE_NAME: 'node-2' });
    }
    // init without --peers: mDNS discovery, which is why this file uses the host's network
    expect(config.services.sync?.environment?.SYNC_DISCOVERY).toBe('mdns');
    expect(config.services.postgres?.command).toEqual(['postgres', '-c', 'listen_addresses=127.0.0.1']);
    expect(Object.keys(config.volumes ?? {})).toEqual(['postgres-data']);
  });

  it('trusts no connection on the host\'s network: the same authentication and roles as docker-compose.yml', () => {
    const result = composeConfig(COMPOSE_DIR, 'docker-compose.lan.yml', composeVariables(deploy.dir, { MSK_NODE: '1' }));
    const postgres = (parse(result.stdout) as ComposeFile).services.postgres;
    expect(postgres?.environment).toMatchObject(POSTGRES_AUTHENTICATION);
    expect(postgres?.entrypoint?.join(' ')).not.toContain('DATABASE_PASSWORD');
    expect(postgres?.volumes).toContain(`${join(COMPOSE_DIR, 'postgres-initdb')}:/docker-entrypoint-initdb.d:ro`);
    const node = envFileValues(join(deploy.dir, 'node-1.env'));
    expect([new URL(node.DATABASE_URL as string).username, new URL(node.SYNC_DATABASE_URL as string).username]).toEqual(['msk_app', 'msk_sync']);
  });

  it('refuses to start without MSK_NODE, saying which node file it needs', () => {
    const result = composeConfig(COMPOSE_DIR, 'docker-compose.lan.yml', composeVariables(deploy.dir));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/set MSK_NODE to this server's node number/);
  });
});
