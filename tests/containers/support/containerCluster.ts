/**
 * N nodes of the platform in containers, started with Testcontainers from the project's images, on one Docker
 * network, behind the compose file's own entry point (nginx with compose/entry-point/nginx.conf):
 *
 *   postgres-N   its own PostgreSQL (the official image or its offline stand-in)
 *   node-N       the app container (alias node-N, ports 8080 and 8765 published on the test address)
 *   (sync)       the sync container, in node-N's network namespace like a container of the same Kubernetes pod:
 *                the app asks its sync service on 127.0.0.1:8765 whether the peers agree (readiness)
 *
 * Configuration comes from the same code as `npm run init` (generateConfiguration). App and sync containers run
 * under Docker's init with a read-only root filesystem and tmpfs at /tmp and /app/.next/cache, as in the
 * Kubernetes manifests. Every node is a fresh GenericContainer (builders accumulate settings).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { GenericContainer, Network, type StartedNetwork, type StartedTestContainer, Wait } from 'testcontainers';
import { generateConfiguration, generateSecrets } from '../../../kit/src/init/generateConfiguration';
import { APP_ROLE, databaseRolesInitdbScript } from '../../../kit/src/postgres/databaseRoles';
import { publishedOnlyOn, withInit, withReadOnlyRootFilesystem } from './containerOptions';
import { freePort } from '@msk/kit/testing';
import {
  ADMIN,
  APP_IMAGE,
  COMPOSE_DIR,
  SERVICE_STATUS_COMMAND,
  SYNC_IMAGE,
  containerHostAddress,
  nginxImage,
  postgresImage,
} from './containerSettings';

export const APP_PORT = 8080;
export const SYNC_PORT = 8765;
/** The app's role (DATABASE_URL); the sync service's, msk_sync, comes from init. Both made by the initdb script. */
const DATABASE_USER = APP_ROLE;
const DATABASE_NAME = 'multi_business_db';
const NODE_START_TIMEOUT_MS = 90_000;
const LOG_TAIL_LINES = 40;

/** compose/entry-point/nginx.conf with the app's port in place of @APP_PORT@. */
function entryPointConfig(): string {
  return readFileSync(join(COMPOSE_DIR, 'entry-point', 'nginx.conf'), 'utf8').replaceAll(
    '@APP_PORT@',
    String(APP_PORT),
  );
}

/** The image's own HEALTHCHECK command for the sync service (GET /health on its port). */
const SYNC_HEALTH_COMMAND =
  "node -e \"require('http').get({host:'127.0.0.1',port:8765,path:'/health',timeout:2000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))\"";

export type Environment = Readonly<Record<string, string>>;

export class ContainerLog {
  private readonly lines: string[] = [];

  consume = (stream: NodeJS.ReadableStream): void => {
    stream.on('data', (chunk: Buffer | string) =>
      this.lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line !== ''),
      ),
    );
  };

  text(): string {
    return this.lines.join('\n');
  }

  tail(lines = LOG_TAIL_LINES): string {
    return this.lines.slice(-lines).join('\n');
  }
}

export interface StartedContainerNode {
  readonly index: number;
  readonly name: string;
  readonly env: Environment;
  /** The app's published port, straight to this node (not through the entry point). */
  readonly appUrl: string;
  /** The sync service's published port (status, health). */
  readonly syncUrl: string;
  readonly app: StartedTestContainer;
  readonly sync: StartedTestContainer;
  readonly appLog: ContainerLog;
  readonly syncLog: ContainerLog;
  /** `service:status` run inside the sync container. */
  serviceStatus(): Promise<{ exitCode: number; output: string }>;
  /** Both containers' last log lines, for failure messages. */
  logTails(): string;
}

export interface StartedContainerCluster {
  readonly nodes: readonly StartedContainerNode[];
  /** The entry point (nginx) every user opens; NEXTAUTH_URL of every node. */
  readonly entryUrl: string;
  /** Stops node `index` (app + sync) and starts it again on the same database with `overrides` in its environment. */
  replaceNode(index: number, overrides: Environment): Promise<StartedContainerNode>;
  stop(): Promise<void>;
}

function nodeEnvironments(nodeCount: number, entryUrl: string): Environment[] {
  const nodeNumbers = Array.from({ length: nodeCount }, (_, i) => i + 1);
  const configuration = generateConfiguration(
    {
      nodes: nodeCount,
      publicUrl: entryUrl,
      peers: nodeNumbers.map((n) => `node-${n}:${SYNC_PORT}`),
      databaseUrl: (n) => `postgresql://${DATABASE_USER}@postgres-${n}:5432/${DATABASE_NAME}`,
    },
    generateSecrets(),
  );
  const shared = Object.fromEntries([
    ...configuration.secrets,
    ...configuration.shared,
    ['ADMIN_EMAIL', ADMIN.email],
    ['ADMIN_PASSWORD', ADMIN.password],
  ]);
  return configuration.nodes.map((node) => ({ ...shared, ...Object.fromEntries(node.values) }));
}

async function startOrExplain<T>(what: string, log: ContainerLog, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${what} did not start: ${reason}\n--- last log lines ---\n${log.tail()}`);
  }
}

async function startNode(index: number, env: Environment, network: StartedNetwork): Promise<StartedContainerNode> {
  const address = containerHostAddress();
  const name = `node-${index}`;
  const appLog = new ContainerLog();
  const syncLog = new ContainerLog();
  const app = await startOrExplain(`the app container of ${name}`, appLog, () =>
    publishedOnlyOn(
      withReadOnlyRootFilesystem(
        withInit(
          new GenericContainer(APP_IMAGE)
            .withNetwork(network)
            .withNetworkAliases(name)
            .withEnvironment(env)
            .withTmpFs({ '/tmp': 'rw,mode=1777', '/app/.next/cache': 'rw,mode=1777' })
            .withExposedPorts(APP_PORT, SYNC_PORT)
            .withLogConsumer(appLog.consume)
            .withWaitStrategy(Wait.forHttp('/api/health', APP_PORT).forStatusCode(200))
            .withStartupTimeout(NODE_START_TIMEOUT_MS),
        ),
      ),
      address,
    ).start(),
  );
  const sync = await startOrExplain(`the sync container of ${name}`, syncLog, () =>
    withReadOnlyRootFilesystem(
      withInit(
        new GenericContainer(SYNC_IMAGE)
          .withNetworkMode(`container:${app.getId()}`)
          .withEnvironment(env)
          .withTmpFs({ '/tmp': 'rw,mode=1777' })
          .withLogConsumer(syncLog.consume)
          .withWaitStrategy(Wait.forSuccessfulCommand(SYNC_HEALTH_COMMAND))
          .withStartupTimeout(NODE_START_TIMEOUT_MS),
      ),
    ).start(),
  );
  return {
    index,
    name,
    env,
    appUrl: `http://${app.getHost()}:${app.getMappedPort(APP_PORT)}`,
    syncUrl: `http://${app.getHost()}:${app.getMappedPort(SYNC_PORT)}`,
    app,
    sync,
    appLog,
    syncLog,
    async serviceStatus() {
      const result = await sync.exec(SERVICE_STATUS_COMMAND);
      return { exitCode: result.exitCode, output: result.output };
    },
    logTails() {
      return `--- ${name} app ---\n${appLog.tail()}\n--- ${name} sync ---\n${syncLog.tail()}`;
    },
  };
}

/**
 * Node `index`'s PostgreSQL as the compose files and the manifests run it: no trust, a superuser for the init only,
 * the roles' initdb script with the passwords of `env`; reached on `network` as postgres-<index>. Not started.
 */
export function postgresContainer(
  index: number,
  database: string,
  env: Environment,
  network: StartedNetwork,
): PostgreSqlContainer {
  return new PostgreSqlContainer(postgresImage())
    .withDatabase(database)
    .withUsername('postgres')
    .withPassword(randomBytes(24).toString('hex'))
    .withEnvironment({
      POSTGRES_INITDB_ARGS: '--auth-host=scram-sha-256 --auth-local=peer',
      POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256',
      DATABASE_PASSWORD: env.DATABASE_PASSWORD as string,
      SYNC_DATABASE_PASSWORD: env.SYNC_DATABASE_PASSWORD as string,
    })
    .withCopyContentToContainer([
      { content: databaseRolesInitdbScript(), target: '/docker-entrypoint-initdb.d/10-msk-roles.sh', mode: 0o755 },
    ])
    .withNetwork(network)
    .withNetworkAliases(`postgres-${index}`);
}

async function startPostgres(
  index: number,
  env: Environment,
  network: StartedNetwork,
): Promise<StartedPostgreSqlContainer> {
  return publishedOnlyOn(postgresContainer(index, DATABASE_NAME, env, network), containerHostAddress()).start();
}

export async function startContainerCluster(
  options: { readonly nodes?: number } = {},
): Promise<StartedContainerCluster> {
  const nodeCount = options.nodes ?? 2;
  const address = containerHostAddress();
  const entryPort = await freePort(address);
  const entryUrl = `http://${address}:${entryPort}`;
  const environments = nodeEnvironments(nodeCount, entryUrl);
  const network = await new Network().start();
  const databases: StartedPostgreSqlContainer[] = [];
  let nodes: StartedContainerNode[] = [];
  let entryPoint: StartedTestContainer | undefined;

  const stopNode = async (node: StartedContainerNode) => {
    await node.sync.stop();
    await node.app.stop();
  };
  const stop = async () => {
    await entryPoint?.stop();
    await Promise.all(nodes.map(stopNode));
    await Promise.all(databases.map((database) => database.stop()));
    await network.stop();
  };

  try {
    databases.push(...(await Promise.all(environments.map((env, i) => startPostgres(i + 1, env, network)))));
    nodes = await Promise.all(environments.map((env, i) => startNode(i + 1, env, network)));
    const entryLog = new ContainerLog();
    entryPoint = await startOrExplain('the entry point', entryLog, () =>
      publishedOnlyOn(
        withInit(
          new GenericContainer(nginxImage())
            .withNetwork(network)
            // The app's port written in, as the compose file's entry-point command does with sed.
            .withCopyContentToContainer([{ content: entryPointConfig(), target: '/etc/nginx/conf.d/default.conf' }])
            .withExposedPorts({ container: APP_PORT, host: entryPort })
            .withLogConsumer(entryLog.consume)
            .withWaitStrategy(Wait.forHttp('/api/health', APP_PORT).forStatusCode(200)),
        ),
        address,
      ).start(),
    );
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    get nodes() {
      return nodes;
    },
    entryUrl,
    async replaceNode(index, overrides) {
      const old = nodes[index - 1];
      if (!old) throw new Error(`there is no node ${index}`);
      await stopNode(old);
      const replacement = await startNode(index, { ...old.env, ...overrides }, network);
      nodes = nodes.map((node) => (node.index === index ? replacement : node));
      return replacement;
    },
    stop,
  };
}
