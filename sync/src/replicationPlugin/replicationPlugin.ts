/**
 * Replication as a plugin of the sync service. On start it registers the peer routes (pull, snapshot, poke) and
 * returns at once; in the background it waits for the app's migrations to create the replicated tables, opens
 * the PostgreSQL replication store (which installs capture), then pulls from every connected peer: at once when
 * the peer pokes ("I committed"), every SYNC_INTERVAL otherwise. Local commits poke every connected peer.
 */
import { Pool } from 'pg';
import {
  ChangePusher,
  MAX_PUSH_BYTES,
  type PeerProgress,
  PostgresReplicationStore,
  type PullOutcome,
  type RecentConflicts,
  type RowChange,
  type TableProblem,
  formatTableProblem,
  answerPull,
  answerSnapshot,
  pullRequestSchema,
} from '@msk/replication';
import type { PeerRoute, StartedPlugin, SyncServiceApi, SyncServicePlugin } from '../service/plugin';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff';
import { REPLICATION_ROUTES, channelTransport, sendPoke } from './channelTransport';
import { connectionStringWithPassword, describeDatabase } from './databaseConnection';
import { LoadingReplicator } from './loadingReplicator';
import { PeerPullers } from './peerPullers';
import { PeerReplicationState } from './peerReplicationState';
import type { ReplicationNodeStatus, ReplicationPeerStatus, ReplicationState } from './replicationStatus';
import { type ReplicationMetrics, createReplicationMetrics } from './replicationMetrics';
import { type SchemaWaitReport, waitForTables } from './schemaWait';
import { LiveSchemaWatch, SCHEMA_CHECK_INTERVAL_MS } from './schemaWatch';
import { snapshotPageRoute } from './snapshotPageRoute';
import { refusalSummary, waitForFittingTables } from './tableCheck';
import { isFromAnotherDatabase, pullFromStart } from './sourceRewind';

/** How often the status figures read from the database (progress per peer, recent conflicts) are refreshed. */
export const STATUS_REFRESH_INTERVAL_MS = 2_000;
/** How often acknowledged tombstones are purged from the change log. */
export const PURGE_INTERVAL_MS = 10 * 60_000;
/** Tombstones are kept at least this long, even when every known peer acknowledged them. */
export const PURGE_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** Conflicts listed in the status document (newest first). */
export const STATUS_RECENT_CONFLICTS = 10;
/** Largest pull/snapshot request body (they are small JSON objects). */
export const REQUEST_BODY_LIMIT_BYTES = 16 * 1024;
/** A joining node logs its progress every this many pages (100,000 states at the default page size). */
const LOAD_PROGRESS_EVERY_PAGES = 20;
/** Retrying to open the store after a setup error (database down, a table the engine can't replicate). */
export const OPEN_RETRY_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** How long stop() waits for a start still in progress. */
export const STOP_WAIT_MS = 2_000;

export interface ReplicationPluginOptions {
  /** The app's tables to replicate. @default the node's REPLICATED_TABLES */
  readonly tables?: readonly string[];
  /**
   * Called once when the database's incarnation changes under the running service (it was restored from a backup
   * while this service ran): everything the service keeps in memory (cursors, the incarnation it sends) belongs to
   * the database it replaced. @default stopDatabaseReplaced (exit code 75, so the supervisor starts it afresh)
   */
  readonly onDatabaseReplaced?: (details: { opened: string; found: string }) => void;
}

/** Exit code of a sync service that stopped because its database was restored under it (EX_TEMPFAIL). */
export const DATABASE_REPLACED_EXIT_CODE = 75;

/** The default reaction: stop cleanly with DATABASE_REPLACED_EXIT_CODE; the container, systemd or npm start restarts it. */
export function stopDatabaseReplaced(): void {
  process.exitCode = DATABASE_REPLACED_EXIT_CODE;
  process.kill(process.pid, 'SIGTERM');
}

export function replicationPlugin(options: ReplicationPluginOptions = {}): SyncServicePlugin {
  return {
    name: 'replication',
    async start(api: SyncServiceApi): Promise<StartedPlugin> {
      const plugin = new ReplicationPlugin(
        api,
        options.tables ?? api.config.replicatedTables,
        options.onDatabaseReplaced ?? stopDatabaseReplaced,
      );
      plugin.begin();
      return { stop: () => plugin.stop() };
    },
  };
}

/** The replication plugin while it runs in one sync service. */
class ReplicationPlugin {
  private state: ReplicationState = 'waiting-for-schema';
  private stateSinceMs: number;
  private waiting: SchemaWaitReport | null = null;
  /** What the start-up check found wrong with the configured tables; null: nothing (or not checked yet). */
  private refusal: { problems: readonly TableProblem[]; checkedAt: string } | null = null;
  private lastError: string | null = null;
  /** Why the last status refresh failed (the database is down?); cleared by the next one that works. */
  private statusError: string | null = null;
  private store: PostgresReplicationStore | undefined;
  private replicator: LoadingReplicator | undefined;
  private pullers: PeerPullers | undefined;
  private statusPool: Pool | undefined;
  private readonly peerStates = new Map<string, PeerReplicationState>();
  private progress = new Map<string, PeerProgress>();
  private conflicts: RecentConflicts = { total: 0, recent: [] };
  private lastPurge: { at: string; purged: number } | null = null;
  private pusher: ChangePusher | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private unsubscribeStore: (() => void) | undefined;
  /** A schema check or a re-open after a migration is running. */
  private followingSchema = false;
  /** The live tables can't be replicated as a migration left them (replication keeps the last good shape). */
  private schemaProblem: string | null = null;
  private schemaReopens = 0;
  private schemaWatch: { pool: Pool; watch: LiveSchemaWatch } | undefined;
  private lastSchemaChange: {
    at: string;
    schemaVersion: string;
    addedColumns: readonly string[];
    removedColumns: readonly string[];
  } | null = null;
  private readonly metrics: ReplicationMetrics;
  private readonly connectionString: string;
  private readonly rewoundPeers = new Set<string>();
  private background: Promise<void> = Promise.resolve();
  private stopped = false;
  private replaced = false;
  private wakeSleepers: () => void = () => undefined;
  private readonly stopRequested = new Promise<void>((resolve) => (this.wakeSleepers = resolve));

  constructor(
    private readonly api: SyncServiceApi,
    private readonly tables: readonly string[],
    private readonly onDatabaseReplaced: (details: { opened: string; found: string }) => void,
  ) {
    this.stateSinceMs = api.now();
    this.metrics = createReplicationMetrics(api.metricsRegistry);
    this.connectionString = connectionStringWithPassword(api.config.syncDatabaseUrl, api.config.syncDatabasePassword);
    for (const route of this.routes()) api.addRoute(route);
    api.addStatusContributor({
      name: 'replication',
      node: () => this.nodeStatus(),
      peer: (peerId) => this.peerStatus(peerId),
      notReady: () => (this.refusal ? [refusalSummary(this.refusal.problems)] : []),
    });
    this.unsubscribe.push(
      api.onPeerEvent((event) => {
        // The conflicts counter exists from the connection on, so the first conflict shows as an increase.
        if (event.type === 'peer-connected') this.metrics.conflictsResolved.inc({ peer: event.peer.identity.id }, 0);
        if (!this.pullers) return;
        if (event.type === 'peer-connected') this.pullers.connect(event.peer.identity.id);
        else {
          this.pusher?.forget(event.peer.identity.id);
          void this.pullers.disconnect(event.peer.identity.id);
        }
      }),
    );
  }

  private setState(state: ReplicationState): void {
    this.state = state;
    this.stateSinceMs = this.api.now();
    this.metrics.running.set(state === 'running' ? 1 : 0);
  }

  begin(): void {
    this.background = this.run().catch((error: unknown) => {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.setState('failed');
      this.api.logger.error({ error: this.lastError }, 'replication stopped after an unexpected error');
    });
  }

  private async run(): Promise<void> {
    const database = describeDatabase(this.api.config.syncDatabaseUrl);
    this.api.logger.info({ database, tables: this.tables }, 'replication waiting for the replicated tables');
    const found = await waitForTables({
      connectionString: this.connectionString,
      tables: this.tables,
      isStopped: () => this.stopped,
      sleep: (ms) => this.sleep(ms),
      onWaiting: (report) => {
        this.waiting = report;
        // every attempt at first, then every tenth: the wait can be long when the app starts late
        if (report.attempt <= 3 || report.attempt % 10 === 0) {
          this.api.logger.info(
            {
              database,
              missingTables: report.missingTables,
              error: report.error,
              attempt: report.attempt,
              nextAttemptInMs: report.nextAttemptInMs,
            },
            report.error
              ? `replication waits for the database: ${report.error}`
              : `replication waits for the app's migrations to create ${report.missingTables.join(', ')}`,
          );
        }
      },
    });
    if (!found) return;
    this.waiting = null;
    if (!(await this.checkTablesUntilTheyFit())) return;
    await this.openAndRun(database);
  }

  /** The start-up check (tableCheck.ts): replication stays off while it refuses the tables. False: stopped. */
  private checkTablesUntilTheyFit(): Promise<boolean> {
    return waitForFittingTables({
      connectionString: this.connectionString,
      tables: this.tables,
      isStopped: () => this.stopped,
      sleep: (ms) => this.sleep(ms),
      onCheckFailed: (error) => (this.lastError = `checking the replicated tables failed: ${error}`),
      onVerdict: (problems) => {
        this.metrics.schemaProblems.reset();
        for (const problem of problems) this.metrics.schemaProblems.inc({ table: problem.table, kind: problem.kind });
        this.metrics.schemaRefused.set(problems.length > 0 ? 1 : 0);
        if (problems.length === 0) {
          if (this.refusal)
            this.api.logger.info({ tables: this.tables }, 'the replicated tables fit now: replication starts');
          this.refusal = null;
          this.lastError = null;
          return;
        }
        const changed = JSON.stringify(this.refusal?.problems) !== JSON.stringify(problems);
        this.refusal = { problems, checkedAt: new Date(this.api.now()).toISOString() };
        if (this.state !== 'refused') this.setState('refused');
        if (changed) {
          this.api.logger.error(
            { problems: problems.map((p) => ({ table: p.table, kind: p.kind, problem: p.message, fix: p.fix })) },
            `${refusalSummary(problems)}: ${problems.map(formatTableProblem).join(' | ')}`,
          );
        }
      },
    });
  }

  /**
   * Opens the store (installing capture on the live tables) and starts pulling and pushing. Run at start, and again
   * after the schema changed under the running service (reopenAfterMigration).
   */
  private async openAndRun(database: string): Promise<void> {
    this.setState('opening');
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        this.store = await PostgresReplicationStore.open({
          connectionString: this.connectionString,
          nodeId: this.api.self.id,
          tables: this.tables,
          // one clock and one bound for the node: a stamp further ahead than a peer's clock may be is refused
          getNowMs: this.api.now,
          clockOffsetMs: this.api.config.syncClockOffsetMs,
          maxFutureDriftMs: this.api.config.syncMaxClockSkewMs,
          poke: this.api.config.syncLocalChanges,
        });
        break;
      } catch (error) {
        this.lastError = error instanceof Error ? error.message : String(error);
        const delayMs = backoffDelayMs(OPEN_RETRY_BACKOFF, attempt, Math.random);
        this.api.logger.error(
          { database, error: this.lastError, nextAttemptInMs: delayMs },
          'replication could not open its store',
        );
        this.setState('failed');
        await this.sleep(delayMs);
      }
    }
    const store = this.store;
    if (!store || this.stopped) {
      await store?.close();
      return;
    }
    this.lastError = null;
    this.statusPool = new Pool({ connectionString: this.connectionString, max: 1, idleTimeoutMillis: 10_000 });
    this.statusPool.on('error', () => undefined);
    this.statusPool.on('connect', (client) => client.on('error', () => undefined));
    await this.warnIfSuperuser(database);
    const neverApplied = (await store.peerProgress()).every((peer) => peer.cursor === null);
    if (this.stopped) return; // stop() closes the store
    this.replicator = new LoadingReplicator({
      store,
      transport: channelTransport(this.api, (kind, durationMs) =>
        this.metrics.requestSeconds.observe({ kind }, durationMs / 1000),
      ),
      needsInitialLoad: neverApplied,
      getNowMs: this.api.now,
      onInitialLoad: (outcome) => this.recordInitialLoad(outcome),
      onLoadProgress: (p) =>
        p.pages % LOAD_PROGRESS_EVERY_PAGES === 0 &&
        this.api.logger.info({ peer: p.peerId, pages: p.pages, states: p.received }, 'loading a snapshot from a peer'),
    });
    this.pullers = new PeerPullers({
      replicator: this.replicator,
      fallbackIntervalMs: this.api.config.syncIntervalMs,
      onOutcome: (outcome) => this.recordOutcome(outcome),
      onError: (peerId, error) => {
        this.api.logger.warn(
          { peer: peerId, error: error instanceof Error ? error.message : String(error) },
          'replication pull failed locally',
        );
      },
      failuresInARow: (peerId) => this.peerState(peerId).consecutiveFailures,
    });
    this.pusher = new ChangePusher({
      store,
      send: (peerId, push) => sendPoke(this.api, peerId, push),
      onSent: (peerId, result, error) => {
        this.metrics.pokesSent.inc({ result }); // a failed poke: the peer's fallback poll catches up
        if (error !== undefined)
          this.api.logger.debug(
            { peer: peerId, error: error instanceof Error ? error.message : String(error) },
            'poke failed',
          );
      },
    });
    this.unsubscribeStore = store.onChange((committedRow) => this.pokePeers(committedRow));
    this.timers.push(setInterval(() => void this.refreshStatus(), STATUS_REFRESH_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.purge(), PURGE_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.checkSchema(), SCHEMA_CHECK_INTERVAL_MS));
    for (const timer of this.timers) timer.unref();
    this.setState('running');
    if (store.addedColumns.length > 0 || store.removedColumns.length > 0) {
      this.lastSchemaChange = {
        at: new Date(this.api.now()).toISOString(),
        schemaVersion: store.schemaVersion,
        addedColumns: store.addedColumns,
        removedColumns: store.removedColumns,
      };
      this.api.logger.info(
        { schemaVersion: store.schemaVersion, addedColumns: store.addedColumns, removedColumns: store.removedColumns },
        'replication follows a migration',
      );
    }
    this.api.logger.info(
      {
        database,
        tables: store.tables.map((t) => t.name),
        schemaVersion: store.schemaVersion,
        initialLoad: neverApplied,
      },
      neverApplied ? 'replication running; this node will load a snapshot from the first peer' : 'replication running',
    );
    await this.refreshStatus();
    for (const peer of this.api.connectedPeers()) this.pullers.connect(peer.id);
    this.pokePeers(); // peers that tried us while we waited for the schema
  }

  /** Compares the live tables with the store's; a migration applied meanwhile re-opens the store. */
  private async checkSchema(): Promise<void> {
    const store = this.store;
    const pool = this.statusPool;
    if (!store || !pool || this.stopped || this.followingSchema || this.state !== 'running') return;
    this.followingSchema = true;
    try {
      if (this.schemaWatch?.pool !== pool) this.schemaWatch = { pool, watch: new LiveSchemaWatch(pool, this.tables) };
      const live = await this.schemaWatch.watch.read();
      if (live.kind === 'problem') {
        if (this.schemaProblem !== live.message) {
          this.api.logger.error(
            { problem: live.message },
            'a migration left the replicated tables in a shape replication cannot follow; replication keeps the last good one',
          );
        }
        this.schemaProblem = live.message;
        return;
      }
      this.schemaProblem = null;
      if (live.schemaVersion === store.schemaVersion || this.store !== store) return;
      this.api.logger.info(
        { from: store.schemaVersion, to: live.schemaVersion },
        'the replicated tables changed (a migration): re-opening replication with the live columns',
      );
      await this.reopenAfterMigration();
    } catch (error) {
      this.api.logger.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'checking the replicated tables failed',
      );
    } finally {
      this.followingSchema = false;
    }
  }

  /** Stops pulling and pushing, closes the store and opens it again on the live schema; peers wait meanwhile. */
  private async reopenAfterMigration(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.unsubscribeStore?.();
    this.unsubscribeStore = undefined;
    this.pusher?.stop();
    this.pusher = undefined;
    const pullers = this.pullers;
    this.pullers = undefined;
    this.replicator = undefined;
    const store = this.store;
    this.store = undefined;
    this.setState('opening'); // peers asking meanwhile hear "not ready" and ask again
    await pullers?.stop();
    await store?.close().catch(() => undefined);
    await this.statusPool?.end().catch(() => undefined);
    this.statusPool = undefined;
    if (this.stopped) return;
    this.schemaReopens += 1;
    await this.openAndRun(describeDatabase(this.api.config.syncDatabaseUrl));
  }

  /** Least privilege: the sync service should connect as its own role (SYNC_DATABASE_URL), never the superuser. */
  private async warnIfSuperuser(database: string): Promise<void> {
    try {
      const { rows } = await (this.statusPool as Pool).query<{ role: string; superuser: boolean }>(
        'SELECT current_user AS role, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
      );
      if (rows[0]?.superuser) {
        this.api.logger.warn(
          { database, role: rows[0].role },
          'replication connects as a PostgreSQL superuser: an injected statement could run programs on the database server. ' +
            'Fix: create the roles msk_app and msk_sync (docs/architecture.md: Database roles) and set SYNC_DATABASE_URL to connect as msk_sync',
        );
      }
    } catch {
      // only a warning; the status refresh reports a broken connection
    }
  }

  /** A wait that ends early when the plugin stops. */
  private sleep(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), this.stopRequested]);
  }

  private peerState(peerId: string): PeerReplicationState {
    let state = this.peerStates.get(peerId);
    if (!state) {
      state = new PeerReplicationState(this.api.now());
      this.peerStates.set(peerId, state);
    }
    return state;
  }

  private recordInitialLoad(outcome: PullOutcome): void {
    const ok = outcome.kind === 'applied';
    this.metrics.initialLoads.inc({ peer: outcome.peerId, result: ok ? 'loaded' : outcome.kind });
    if (ok) {
      this.peerState(outcome.peerId).initialLoads += 1;
      this.api.logger.info(
        {
          peer: outcome.peerId,
          states: outcome.received,
          applied: outcome.applied,
          conflicts: outcome.conflicts.length,
          durationMs: outcome.durationMs,
        },
        'loaded a snapshot from a peer',
      );
    } else {
      this.api.logger.warn(
        { peer: outcome.peerId, kind: outcome.kind, message: outcome.message },
        'loading a snapshot from a peer failed; retrying',
      );
    }
  }

  private recordOutcome(outcome: PullOutcome): void {
    const state = this.peerState(outcome.peerId);
    const wasFailing = state.consecutiveFailures > 0;
    state.record(outcome, this.api.now());
    const peer = outcome.peerId;
    const lag = state.lag(this.api.now());
    this.metrics.lagChanges.set({ peer }, lag.changes ?? 0);
    this.metrics.lagSeconds.set({ peer }, (lag.ms ?? 0) / 1000);
    this.metrics.pullSeconds.observe({ peer }, outcome.durationMs / 1000);
    if (outcome.kind === 'applied') {
      this.metrics.appliedChanges.inc({ peer }, outcome.applied);
      if (outcome.conflicts.length > 0) {
        this.metrics.conflictsResolved.inc({ peer }, outcome.conflicts.length);
        for (const conflict of outcome.conflicts) {
          this.api.logger.info(
            {
              peer,
              table: conflict.table,
              constraint: conflict.constraint,
              winnerPk: conflict.winnerPk,
              loserPk: conflict.loserPk,
              renamedColumn: conflict.renamedColumn,
            },
            'resolved a unique-constraint conflict',
          );
        }
      }
      if (outcome.lagMs !== null) this.metrics.deliveryLagSeconds.observe({ peer }, outcome.lagMs / 1000);
      if (wasFailing)
        this.api.logger.info(
          { peer, resumedAfterUpgrade: state.resumedAfterUpgradeAt !== null },
          'replication from peer works again',
        );
      if (outcome.applied > 0 || outcome.conflicts.length > 0) void this.refreshStatus();
    } else if (outcome.kind === 'waiting-for-upgrade') {
      // not an error: the peer runs the next release already. This node's migration may just have run.
      if (state.consecutiveFailures === 1 || state.consecutiveFailures % 20 === 0) {
        this.api.logger.info({ peer, message: outcome.message }, "changes from a peer wait for this node's upgrade");
      }
      void this.checkSchema();
    } else {
      this.metrics.pullFailures.inc({ peer, kind: outcome.kind });
      if (state.consecutiveFailures === 1 || state.consecutiveFailures % 20 === 0) {
        this.api.logger.warn(
          { peer, kind: outcome.kind, failuresInARow: state.consecutiveFailures, message: outcome.message },
          'replication pull failed',
        );
      }
    }
  }

  /** A local commit: poke every connected peer, with the changes when they are few (ChangePusher). */
  private pokePeers(committedRow?: RowChange): void {
    if (this.stopped) return;
    this.pusher?.localCommit(
      this.api.connectedPeers().map((peer) => peer.id),
      committedRow,
    );
  }

  private routes(): PeerRoute[] {
    const notReady = () => ({
      status: 503,
      json: {
        error: 'not-ready',
        message: `replication on ${this.api.self.name} is ${this.state}${this.state === 'waiting-for-schema' ? ' (the app has not created its tables yet)' : this.state === 'refused' ? ' (its tables do not fit replication: see its status)' : ''}`,
      },
    });
    return [
      {
        method: 'POST',
        path: REPLICATION_ROUTES.pull,
        maxBodyBytes: REQUEST_BODY_LIMIT_BYTES,
        handle: async (request) => {
          const store = this.store;
          if (this.state !== 'running' || !store) return notReady();
          let body = request.json;
          const parsed = pullRequestSchema.safeParse(body);
          if (parsed.success && isFromAnotherDatabase(parsed.data.cursor, await store.headCursor())) {
            if (!this.rewoundPeers.has(request.peerId)) {
              this.rewoundPeers.add(request.peerId);
              this.api.logger.warn(
                { peer: request.peerId, cursor: parsed.data.cursor },
                'a peer pulls from a position this database never reached (this database was replaced): answering from the start of the log',
              );
            }
            body = pullFromStart(parsed.data);
          }
          const answer = await answerPull(store, body, request.peerId);
          this.pusher?.served(request.peerId, answer);
          return { status: answer.type === 'bad-request' ? 400 : 200, json: answer };
        },
      },
      {
        method: 'POST',
        path: REPLICATION_ROUTES.snapshot,
        maxBodyBytes: REQUEST_BODY_LIMIT_BYTES,
        handle: async (request) => {
          const store = this.store;
          if (this.state !== 'running' || !store) return notReady();
          const answer = await answerSnapshot(store, request.json, request.peerId);
          return { status: answer.type === 'bad-request' ? 400 : 200, json: answer };
        },
      },
      snapshotPageRoute(() => (this.state === 'running' ? this.store : undefined), notReady),
      {
        method: 'POST',
        path: REPLICATION_ROUTES.poke,
        maxBodyBytes: MAX_PUSH_BYTES + 4096,
        handle: async (request) => {
          const pullers = this.pullers;
          if (!pullers) return { status: 200, json: { pulling: false, applied: false } };
          const body = request.json as { type?: unknown } | null;
          // a push is applied when it starts at our cursor; otherwise, like a plain poke, it makes us pull
          if (body?.type === 'push')
            return { status: 200, json: { pulling: true, applied: await pullers.offer(request.peerId, body) } };
          return { status: 200, json: { pulling: pullers.poke(request.peerId), applied: false } };
        },
      },
    ];
  }

  private async refreshStatus(): Promise<void> {
    const store = this.store;
    const pool = this.statusPool;
    if (!store || !pool || this.stopped) return;
    try {
      this.progress = new Map((await store.peerProgress()).map((peer) => [peer.peerId, peer]));
      this.conflicts = await store.recentConflicts(STATUS_RECENT_CONFLICTS);
      this.statusError = null;
      await this.checkIncarnation(store);
    } catch (error) {
      this.statusError = `reading replication progress failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** A restore (msk restore) gives the database a new incarnation: this service's memory of it is then stale. */
  private async checkIncarnation(store: PostgresReplicationStore): Promise<void> {
    if (this.replaced) return;
    const found = await store.storedIncarnation();
    if (!found || found === store.incarnation) return;
    this.replaced = true;
    this.lastError = `the database was restored under this service (incarnation ${store.incarnation} → ${found}): restarting it`;
    this.api.logger.error(
      { opened: store.incarnation, found },
      'the database was restored from a backup while this sync service ran: stopping so it starts afresh',
    );
    this.onDatabaseReplaced({ opened: store.incarnation, found });
  }

  private async purge(): Promise<void> {
    const store = this.store;
    if (!store || this.stopped) return;
    try {
      const knownPeers = [
        ...new Set([
          ...(await store.peerProgress()).map((peer) => peer.peerId),
          ...this.api.connectedPeers().map((peer) => peer.id),
        ]),
      ];
      const outcome = await store.purge({ knownPeers, retentionMs: PURGE_RETENTION_MS });
      this.lastPurge = { at: new Date(this.api.now()).toISOString(), purged: outcome.purged };
      this.metrics.purgedStates.inc(outcome.purged);
      if (outcome.purged > 0)
        this.api.logger.info(
          { purged: outcome.purged, knownPeers: knownPeers.length },
          'purged acknowledged tombstones',
        );
    } catch (error) {
      this.api.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'purge failed');
    }
  }

  private nodeStatus(): ReplicationNodeStatus {
    return {
      state: this.state,
      since: new Date(this.stateSinceMs).toISOString(),
      database: describeDatabase(this.api.config.syncDatabaseUrl),
      tables: this.store ? this.store.tables.map((t) => t.name) : [...this.tables],
      schemaVersion: this.store?.schemaVersion ?? null,
      schema: {
        reopenedAfterMigration: this.schemaReopens,
        lastChange: this.lastSchemaChange,
        problem: this.schemaProblem,
      },
      waitingFor: this.waiting
        ? { missingTables: this.waiting.missingTables, error: this.waiting.error, attempts: this.waiting.attempt }
        : null,
      refused: this.refusal ? { problems: this.refusal.problems, checkedAt: this.refusal.checkedAt } : null,
      initialLoadPending: this.replicator?.waitingForInitialLoad ?? null,
      syncIntervalMs: this.api.config.syncIntervalMs,
      lastError: this.lastError ?? this.statusError,
      conflicts: { resolved: this.conflicts.total, recent: this.conflicts.recent },
      lastPurge: this.lastPurge,
    };
  }

  private peerStatus(peerId: string): ReplicationPeerStatus | undefined {
    const state = this.peerStates.get(peerId);
    const progress = this.progress.get(peerId);
    if (!state && !progress) return undefined;
    return {
      lag: state ? state.lag(this.api.now()) : { changes: null, ms: null },
      lastBatch: state?.batch() ?? null,
      appliedChanges: progress?.appliedChanges ?? 0,
      conflictsResolved: progress?.conflictsResolved ?? 0,
      errors: progress?.errors ?? state?.failures ?? 0,
      failing: (state?.consecutiveFailures ?? 0) > 0,
      lastError: progress?.lastError ?? null,
      lastErrorAt: progress?.lastErrorAtMs ? new Date(progress.lastErrorAtMs).toISOString() : null,
      lastAppliedAt: progress?.lastAppliedAtMs ? new Date(progress.lastAppliedAtMs).toISOString() : null,
      initialLoads: state?.initialLoads ?? 0,
      waitingForUpgrade: state?.waitingForUpgrade ?? null,
      resumedAfterUpgradeAt: state?.resumedAfterUpgradeAt ?? null,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSleepers();
    for (const off of this.unsubscribe) off();
    this.unsubscribeStore?.();
    for (const timer of this.timers) clearInterval(timer);
    this.pusher?.stop();
    await this.pullers?.stop();
    // the background start may be sleeping between attempts: it sees `stopped` when it wakes and closes what it opened
    await Promise.race([
      this.background.catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref()),
    ]);
    await this.store?.close().catch(() => undefined);
    await this.statusPool?.end().catch(() => undefined);
    this.setState('stopped');
  }
}
