/**
 * The local cluster: N nodes on loopback addresses, each with its own embedded PostgreSQL (or, with
 * `--database shared`, all on the first node's), app and sync service, behind one round-robin entry point. `npm start` runs it in the foreground; the test harness drives it through
 * the control API (controlServer.ts).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { DatabaseTopology } from '@msk/contract';
import { formatEnvFile } from '@msk/contract/envFile';
import { startEmbeddedPostgres } from '../postgres/embeddedPostgres';
import { SYNC_CLI, appBuildIsCurrent, buildApp } from './appBuild';
import { type ClusterApp, appProcessEnvironment, claimDataFolder, referenceApp, standaloneServer } from './clusterApp';
import { ensureClusterConfiguration } from './clusterConfiguration';
import { type ClusterLayout, type NodeLayout, appUrl, clusterLayout, syncAddress } from './clusterLayout';
import { type EnvironmentOverrides, LOCAL_DATABASE_SUPERUSER, nodeEnvironment } from './clusterNodeEnvironment';
import { type ClusterState, type RunningNode, nodeState } from './clusterState';
import { type StartedEntryPoint, startEntryPoint } from './entryPoint';
import { canBindDistinctLoopbackAddresses, isPortTaken } from './loopbackAddresses';
import { ManagedProcess } from './managedProcess';
import { setUpNodeDatabase } from './nodeDatabaseSetup';
import { allPeersConnected, peersConnected } from './peerCounts';

export type { ClusterState, NodeState } from './clusterState';

export interface LocalClusterProps {
  /** Everything the cluster keeps between runs. @default .local-cluster */
  readonly dataDir: string;
  /** @default 2 */
  readonly nodes?: number;
  /** Delete the data folder first. */
  readonly fresh?: boolean;
  /** @default 8080 */
  readonly entryPort?: number;
  /** @default 0 (127.0.0.x) */
  readonly addressBlock?: number;
  /** Environment overrides per node index (1-based), e.g. a different NEXTAUTH_SECRET on node 2. */
  readonly overrides?: Readonly<Record<number, EnvironmentOverrides>>;
  /** The first admin; defaults to ADMIN_EMAIL/ADMIN_PASSWORD given to `npm start`, else generated once. */
  readonly adminEmail?: string;
  readonly adminPassword?: string;
  /** @default true */
  readonly buildIfNeeded?: boolean;
  /** The app every node runs (`--app <dir>`), with its probe path, tables and variable names. @default the reference app */
  readonly app?: ClusterApp;
  readonly progress?: (line: string) => void;
  /** Called when a node's process dies on its own. */
  readonly onProcessExit?: (description: string) => void;
  /** @default 90000 */
  readonly nodeStartTimeoutMs?: number;
  /**
   * shared: one embedded PostgreSQL (the first node's) for every node, DATABASE_TOPOLOGY=shared. Kept in
   * config/shared.env, so a later start without it keeps the cluster's choice. @default what shared.env says, else per-node
   */
  readonly database?: DatabaseTopology;
  /** The app's tables every node replicates (REPLICATED_TABLES). @default the app's (REFERENCE_APP_REPLICATED_TABLES for app/) */
  readonly replicatedTables?: readonly string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class LocalCluster {
  private layout!: ClusterLayout;
  private readonly running = new Map<number, RunningNode>();
  private entry: StartedEntryPoint | undefined;
  private adminCreatedNow = false;
  private admin: { email: string; password: string } | undefined;
  private superuserPassword = '';
  private database: DatabaseTopology = 'per-node';
  private readonly app: ClusterApp;
  /** The server.js of the app's standalone build, known once the build exists. */
  private appServer = '';

  constructor(private readonly props: LocalClusterProps) {
    this.app = props.app ?? referenceApp();
  }

  private progress(line: string): void {
    this.props.progress?.(line);
  }

  get adminCredentials(): { email: string; password: string; firstRun: boolean } | undefined {
    return this.admin && { ...this.admin, firstRun: this.adminCreatedNow };
  }

  async start(): Promise<ClusterState> {
    const distinctAddresses = await canBindDistinctLoopbackAddresses();
    this.layout = clusterLayout({
      dataDir: this.props.dataDir,
      nodes: this.props.nodes ?? 2,
      distinctAddresses,
      entryPort: this.props.entryPort,
      addressBlock: this.props.addressBlock,
    });
    if (!distinctAddresses) {
      this.progress('note: this OS routes only 127.0.0.1, so nodes share it on distinct ports (8081, 8082, …)');
    }
    if (await isPortTaken(this.layout.entryHost, this.layout.entryPort)) {
      throw new Error(
        `${this.layout.entryHost}:${this.layout.entryPort} is already in use: is another cluster or program running? ` +
          'Stop it, or choose another entry port with --port.',
      );
    }
    if (this.props.fresh) {
      this.progress(`--fresh: deleting ${this.layout.dataDir}`);
      rmSync(this.layout.dataDir, { recursive: true, force: true });
    }
    mkdirSync(this.layout.dataDir, { recursive: true, mode: 0o755 });

    claimDataFolder(this.layout.configDir, this.layout.dataDir, this.app);
    const app = this.app;
    if (this.props.buildIfNeeded !== false && !appBuildIsCurrent({ dir: app.dir, serverJs: standaloneServer(app) })) {
      this.progress(`building ${app.label}: next build, once for every node (~30-60 s; its own progress follows)`);
      const started = Date.now();
      await buildApp((line) => this.progress(`  next build │ ${line}`), app);
      this.progress(`${app.label} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const server = standaloneServer(app);
    if (!server) {
      throw new Error(
        `${app.label} is not built (no .next/standalone/**/server.js in ${app.dir}): run npm run build there (next.config: output: 'standalone')`,
      );
    }
    this.appServer = server;
    if (!app.reference) {
      this.progress(
        `app: ${app.label} from ${relative(process.cwd(), server) || server} (probe ${app.probePath}` +
          `, REPLICATED_TABLES=${(this.props.replicatedTables ?? app.replicatedTables).join(',')}` +
          `${
            Object.keys(app.envNames).length
              ? `, reads ${Object.entries(app.envNames)
                  .map(([own, kit]) => `${kit} as ${own}`)
                  .join(', ')}`
              : ''
          })`,
      );
    }

    this.ensureConfiguration();
    // First-time PostgreSQL initialisations race to create the postgres system user: the first node alone.
    const [first, ...rest] = this.layout.nodes;
    if (first) await this.startPostgres(first);
    if (this.database === 'shared')
      this.progress(`database: shared, every node uses ${first?.name}'s PostgreSQL (DATABASE_TOPOLOGY=shared)`);
    else await Promise.all(rest.map((node) => this.startPostgres(node)));
    this.progress(`starting ${this.app.label} on every node (node server.js: migrations, first admin)`);
    await Promise.all(this.layout.nodes.map((node) => this.startApp(node)));
    this.progress('starting the sync services, one after another');
    // One after another, in node order: start order is what breaks a tie in configuration disagreements
    // (the later node is the odd one out), so node N never wins against node 1 by a few milliseconds.
    for (const node of this.layout.nodes) await this.startSync(node);
    this.entry = await startEntryPoint({
      host: this.layout.entryHost,
      port: this.layout.entryPort,
      targets: () => [...this.running.values()].filter((n) => n.app?.running).map((n) => appUrl(n.layout)),
    });
    this.progress(`entry point ${this.entry.url} → round robin over ${this.layout.nodes.length} node(s)`);
    return this.state();
  }

  private ensureConfiguration(): void {
    const configuration = ensureClusterConfiguration({
      layout: this.layout,
      database: this.props.database,
      adminEmail: this.props.adminEmail,
      adminPassword: this.props.adminPassword,
      progress: (line) => this.progress(line),
    });
    this.database = configuration.database;
    this.superuserPassword = configuration.superuserPassword;
    this.admin = configuration.admin;
    this.adminCreatedNow = configuration.adminCreatedNow;
  }

  /** Whose PostgreSQL a node uses: its own, or the first node's when the nodes share one database. */
  private databaseNodeOf(node: NodeLayout): NodeLayout {
    return this.database === 'shared' ? (this.layout.nodes[0] as NodeLayout) : node;
  }

  private environmentOf(node: NodeLayout): Record<string, string> {
    return nodeEnvironment(
      this.layout,
      node,
      { ADMIN_EMAIL: this.admin?.email, ADMIN_PASSWORD: this.admin?.password, ...this.props.overrides?.[node.index] },
      this.databaseNodeOf(node),
      this.props.replicatedTables ?? this.app.replicatedTables,
    );
  }

  /** Starts the PostgreSQL a node uses (its own, or the shared one) unless it runs. */
  private async ensurePostgresOf(node: NodeLayout): Promise<void> {
    const databaseNode = this.databaseNodeOf(node);
    if (!this.entryFor(databaseNode).postgres) await this.startPostgres(databaseNode);
  }

  private entryFor(node: NodeLayout): RunningNode {
    let entry = this.running.get(node.index);
    if (!entry) {
      entry = { layout: node, env: this.environmentOf(node) };
      this.running.set(node.index, entry);
      this.writeEffectiveEnvironment(entry);
    }
    return entry;
  }

  /** node-N/node.env: exactly what the node runs with (0600), so `doctor` can check the running cluster. */
  private writeEffectiveEnvironment(entry: RunningNode): void {
    mkdirSync(entry.layout.dir, { recursive: true });
    const path = join(entry.layout.dir, 'node.env');
    writeFileSync(
      path,
      formatEnvFile([`What ${entry.layout.name} runs with (written by npm start).`], Object.entries(entry.env)),
      {
        mode: 0o600,
      },
    );
  }

  private async startPostgres(node: NodeLayout): Promise<void> {
    const entry = this.entryFor(node);
    const started = Date.now();
    this.progress(
      existsSync(join(node.postgresDataDir, 'PG_VERSION'))
        ? `${node.name}: starting PostgreSQL on ${node.host}:${node.postgresPort}`
        : `${node.name}: creating PostgreSQL's data folder (initdb, first start only), then starting it on ${node.host}:${node.postgresPort}`,
    );
    const app = entry.env.DATABASE_PASSWORD;
    const sync = entry.env.SYNC_DATABASE_PASSWORD;
    if (!app) throw new Error('DATABASE_PASSWORD is missing from the cluster configuration (config/shared.env)');
    if (!sync) throw new Error('SYNC_DATABASE_PASSWORD is missing from the cluster configuration (config/shared.env)');
    entry.postgres = await startEmbeddedPostgres({
      dataDir: node.postgresDataDir,
      host: node.host,
      port: node.postgresPort,
      user: LOCAL_DATABASE_SUPERUSER,
      password: this.superuserPassword,
      settings: { max_connections: '100' },
    });
    await setUpNodeDatabase(entry.postgres, this.superuserPassword, { app, sync });
    this.progress(`${node.name}: PostgreSQL on ${node.host}:${node.postgresPort} ready in ${Date.now() - started} ms`);
  }

  private async startApp(node: NodeLayout): Promise<void> {
    const entry = this.entryFor(node);
    const started = Date.now();
    const server = entry.appDir ? join(entry.appDir, 'server.js') : this.appServer;
    entry.app = new ManagedProcess({
      label: `${node.name} app`,
      command: process.execPath,
      args: [server],
      cwd: dirname(server),
      env: appProcessEnvironment(this.app, entry.env),
      logFile: join(node.logDir, 'app.log'),
      onUnexpectedExit: (description) => this.props.onProcessExit?.(description),
    });
    entry.app.start();
    await entry.app.waitForHttp(`${appUrl(node)}${this.app.probePath}`, {
      timeoutMs: this.props.nodeStartTimeoutMs ?? 90_000,
    });
    this.progress(`${node.name}: app ${appUrl(node)} ready in ${Date.now() - started} ms`);
  }

  private async startSync(node: NodeLayout): Promise<void> {
    const entry = this.entryFor(node);
    if (entry.env.SYNC_AUTO_START === 'false') {
      this.progress(`${node.name}: sync service not started (SYNC_AUTO_START=false)`);
      return;
    }
    if (!existsSync(SYNC_CLI))
      throw new Error(`the sync service is not built (${SYNC_CLI} missing): run npm run build:ts`);
    const started = Date.now();
    entry.sync = new ManagedProcess({
      label: `${node.name} sync`,
      command: process.execPath,
      args: [SYNC_CLI, 'run'],
      env: entry.env,
      logFile: join(node.logDir, 'sync.log'),
      onUnexpectedExit: (description) => this.props.onProcessExit?.(description),
    });
    entry.sync.start();
    await entry.sync.waitForHttp(`http://${syncAddress(node)}/health`, {
      timeoutMs: this.props.nodeStartTimeoutMs ?? 30_000,
    });
    this.progress(`${node.name}: sync service ${syncAddress(node)} ready in ${Date.now() - started} ms`);
  }

  /** `Peers Connected` per node, as each sync service reports it (undefined when it does not answer). */
  peersConnected(): Promise<Map<number, number | undefined>> {
    return peersConnected(this.layout.nodes);
  }

  /** Waits until every running node reports all other running nodes connected. */
  async waitForPeers(timeoutMs: number): Promise<Map<number, number | undefined>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await this.peersConnected();
      const runningSyncs = [...this.running.values()].filter((n) => n.sync?.running).map((n) => n.layout.index);
      if (allPeersConnected(counts, runningSyncs) || Date.now() > deadline) return counts;
      await sleep(100);
    }
  }

  async stopNode(index: number): Promise<void> {
    const entry = this.running.get(index);
    if (!entry) throw new Error(`there is no node ${index}`);
    await entry.sync?.stop();
    await entry.app?.stop();
    if (this.database === 'shared') {
      // The one PostgreSQL is every node's: it stops with the cluster, not with one node.
      this.progress(`${entry.layout.name}: stopped (the shared PostgreSQL keeps running)`);
      return;
    }
    await entry.postgres?.stop();
    entry.postgres = undefined;
    this.progress(`${entry.layout.name}: stopped`);
  }

  /** Stops a node's sync service and app, keeping its PostgreSQL (msk restore works on the database meanwhile). */
  async stopServices(index: number): Promise<void> {
    const entry = this.running.get(index);
    if (!entry) throw new Error(`there is no node ${index}`);
    await entry.sync?.stop();
    await entry.app?.stop();
    this.progress(`${entry.layout.name}: app and sync service stopped (PostgreSQL keeps running)`);
  }

  /**
   * For fault tests: stops the PostgreSQL a node runs cleanly (a fast shutdown: open sessions end, as in a restart or
   * a switchover), keeping every app and sync service running. With a shared database only node 1 runs one.
   */
  async stopPostgresOf(index: number): Promise<void> {
    const node = this.layout.nodes.find((n) => n.index === index);
    if (!node) throw new Error(`there is no node ${index}`);
    const databaseNode = this.databaseNodeOf(node);
    if (databaseNode.index !== index)
      throw new Error(`node ${index} runs no PostgreSQL: every node shares ${databaseNode.name}'s; stop that one`);
    const entry = this.entryFor(node);
    await entry.postgres?.stop();
    entry.postgres = undefined;
    this.progress(`${node.name}: PostgreSQL stopped (apps and sync services keep running)`);
  }

  /** Starts a node's PostgreSQL alone (a wiped data folder is initialised, the roles set up), if it is not running. */
  async startPostgresOf(index: number): Promise<void> {
    const node = this.layout.nodes.find((n) => n.index === index);
    if (!node) throw new Error(`there is no node ${index}`);
    await this.ensurePostgresOf(node);
  }

  /**
   * Starts what is not running of a node. `appDir`: from now on the node runs the app build in that folder (a
   * standalone build with server.js and migrations/): how a test upgrades one node to another release.
   */
  async startNode(index: number, overrides?: EnvironmentOverrides, appDir?: string): Promise<void> {
    const node = this.layout.nodes.find((n) => n.index === index);
    if (!node) throw new Error(`there is no node ${index}`);
    const entry = this.entryFor(node);
    if (appDir !== undefined) {
      if (!existsSync(join(appDir, 'server.js')))
        throw new Error(`appDir ${appDir} has no server.js: give the folder of a standalone app build`);
      entry.appDir = appDir;
    }
    if (overrides) {
      const merged = { ...this.environmentOf(node), ...overrides };
      entry.env = Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
      this.writeEffectiveEnvironment(entry);
    }
    await this.ensurePostgresOf(node);
    if (!entry.app?.running) await this.startApp(node);
    if (!entry.sync?.running) await this.startSync(node);
  }

  /** Stops a node's app only (its PostgreSQL and sync service keep running), as an app-only upgrade does. */
  async stopApp(index: number): Promise<void> {
    const entry = this.running.get(index);
    if (!entry) throw new Error(`there is no node ${index}`);
    await entry.app?.stop();
    this.progress(`${entry.layout.name}: app stopped`);
  }

  /** For fault tests: SIGKILL one process of a node. */
  async killProcess(index: number, which: 'app' | 'sync' | 'postgres'): Promise<void> {
    const entry = this.running.get(index);
    if (!entry) throw new Error(`there is no node ${index}`);
    if (which === 'postgres') {
      if (entry.postgres) process.kill(entry.postgres.pid, 'SIGKILL');
      entry.postgres = undefined;
    } else {
      await entry[which]?.kill();
    }
  }

  /** Second Ctrl-C: SIGKILL every process this cluster started, synchronously, before the supervisor exits. */
  killAllNow(): void {
    for (const node of this.running.values()) {
      for (const pid of [node.sync?.pid, node.app?.pid, node.postgres?.pid]) {
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  async stop(): Promise<void> {
    await this.entry?.stop();
    this.entry = undefined;
    const nodes = [...this.running.values()];
    await Promise.all(nodes.map((n) => n.sync?.stop()));
    await Promise.all(nodes.map((n) => n.app?.stop()));
    await Promise.all(nodes.map((n) => n.postgres?.stop()));
    for (const n of nodes) n.postgres = undefined;
  }

  state(): ClusterState {
    return {
      entryUrl: `http://${this.layout.entryHost}:${this.layout.entryPort}`,
      dataDir: this.layout.dataDir,
      configDir: this.layout.configDir,
      distinctAddresses: this.layout.distinctAddresses,
      database: this.database,
      nodes: this.layout.nodes.map((node) => nodeState(node, this.running, this.databaseNodeOf(node))),
    };
  }
}
