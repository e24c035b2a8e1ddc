/**
 * Replication as a plugin of the sync service. On start it registers the peer routes (pull, snapshot, poke) and
 * returns at once; in the background it waits for the app's migrations to create the replicated tables, opens
 * the PostgreSQL replication store (which installs capture), then pulls from every connected peer: at once when
 * the peer pokes ("I committed"), every SYNC_INTERVAL otherwise. Local commits poke every connected peer.
 */
import { Pool } from 'pg';
import { ChangePusher, PostgresReplicationStore, type RowChange } from '@msk/replication';
import type { StartedPlugin, SyncServiceApi, SyncServicePlugin } from '../service/plugin';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff';
import { channelTransport, sendPoke } from './channelTransport';
import { connectionStringWithPassword, describeDatabase } from './databaseConnection';
import { stopDatabaseReplaced } from './databaseReplaced';
import { initialLoadPending, initialLoadStatus } from './initialLoadStatus';
import { type InitialLoadView, LoadingReplicator } from './loadingReplicator';
import { PeerPullers } from './peerPullers';
import { PullOutcomeRecorder } from './pullOutcomeRecorder';
import type { ReplicationNodeStatus, ReplicationState } from './replicationStatus';
import { type ReplicationMetrics, createReplicationMetrics } from './replicationMetrics';
import { replicationRoutes } from './replicationRoutes';
import { type SchemaWaitReport, waitForTables } from './schemaWait';
import { holdsReplicatedRows, readStoredLoadState } from './storedLoadState';
import { StoredStatus } from './storedStatus';
import { LiveSchemaWatch, SCHEMA_CHECK_INTERVAL_MS } from './schemaWatch';
import { warnIfSuperuser } from './superuserWarning';
import { TableRefusal } from './tableRefusal';
import { waitForFittingTables } from './tableCheck';
import { PURGE_INTERVAL_MS, purgeTombstones } from './tombstonePurge';

export { DATABASE_REPLACED_EXIT_CODE, stopDatabaseReplaced } from './databaseReplaced';
export { REQUEST_BODY_LIMIT_BYTES } from './replicationRoutes';
export { PURGE_INTERVAL_MS, PURGE_RETENTION_MS } from './tombstonePurge';
export { STATUS_RECENT_CONFLICTS } from './storedStatus';

/** How often the status figures read from the database (progress per peer, recent conflicts) are refreshed. */
export const STATUS_REFRESH_INTERVAL_MS = 2_000;
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
  private readonly refusal: TableRefusal;
  private lastError: string | null = null;
  private store: PostgresReplicationStore | undefined;
  private replicator: LoadingReplicator | undefined;
  private pullers: PeerPullers | undefined;
  private statusPool: Pool | undefined;
  private readonly outcomes: PullOutcomeRecorder;
  private readonly stored: StoredStatus;
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
  /** The initial load as the database tells it before the store opens (then the replicator tells it). */
  private storedLoad: InitialLoadView | undefined;
  private storedLoadReads = 0;
  private background: Promise<void> = Promise.resolve();
  private stopped = false;
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
    this.refusal = new TableRefusal(api, this.metrics, tables);
    this.stored = new StoredStatus(api.logger, (details, lastError) => {
      this.lastError = lastError;
      this.onDatabaseReplaced(details);
    });
    this.outcomes = new PullOutcomeRecorder(
      api,
      this.metrics,
      () => this.refreshStatus(),
      () => this.checkSchema(),
    );
    const routes = replicationRoutes({
      api,
      state: () => this.state,
      store: () => this.store,
      pullers: () => this.pullers,
      pusher: () => this.pusher,
    });
    for (const route of routes) api.addRoute(route);
    api.addStatusContributor({
      name: 'replication',
      node: () => this.nodeStatus(),
      peer: (peerId) => this.outcomes.peerStatus(peerId, this.stored.progress.get(peerId)),
      notReady: () => this.refusal.notReady(),
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
    this.readStoredLoad();
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
    this.readStoredLoad();
    if (!(await this.checkTablesUntilTheyFit())) return;
    await this.openAndRun(database);
  }

  /** Reads the initial load from the database (storedLoadState.ts) in the background, until the store opens. */
  private readStoredLoad(): void {
    const read = ++this.storedLoadReads;
    void readStoredLoadState(this.connectionString).then((load) => {
      // an earlier read that answers late must not replace a later one's (fresher) answer
      if (!this.replicator && load && read === this.storedLoadReads) this.storedLoad = load;
    });
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
        if (!this.refusal.record(problems)) this.lastError = null;
        else if (this.state !== 'refused') this.setState('refused');
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
    await warnIfSuperuser(this.statusPool, this.api.logger, database);
    const neverApplied = (await store.peerProgress()).every((peer) => peer.cursor === null);
    const interruptedLoad = await store.initialLoadInProgress();
    const heldData = neverApplied && interruptedLoad === null && (await holdsReplicatedRows(this.statusPool));
    if (this.stopped) return; // stop() closes the store
    this.replicator = new LoadingReplicator({
      store,
      transport: channelTransport(this.api, (kind, durationMs) =>
        this.metrics.requestSeconds.observe({ kind }, durationMs / 1000),
      ),
      needsInitialLoad: neverApplied,
      heldData,
      interruptedLoad,
      loadRecord: store,
      onRecordError: (error) =>
        this.api.logger.warn(
          { error: error instanceof Error ? error.message : String(error) },
          'recording the initial load in progress failed',
        ),
      getNowMs: this.api.now,
      onInitialLoad: (outcome) => this.outcomes.recordInitialLoad(outcome),
      onLoadProgress: (p) =>
        p.pages % LOAD_PROGRESS_EVERY_PAGES === 0 &&
        this.api.logger.info({ peer: p.peerId, pages: p.pages, states: p.received }, 'loading a snapshot from a peer'),
    });
    this.pullers = new PeerPullers({
      replicator: this.replicator,
      fallbackIntervalMs: this.api.config.syncIntervalMs,
      onOutcome: (outcome) => this.outcomes.recordOutcome(outcome),
      onError: (peerId, error) => {
        this.api.logger.warn(
          { peer: peerId, error: error instanceof Error ? error.message : String(error) },
          'replication pull failed locally',
        );
      },
      failuresInARow: (peerId) => this.outcomes.peerState(peerId).consecutiveFailures,
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
        interruptedLoad,
      },
      neverApplied
        ? 'replication running; this node will load a snapshot from the first peer'
        : interruptedLoad
          ? `replication running; this node catches up the initial load from ${interruptedLoad.peerId} that a restart cut short`
          : 'replication running',
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
    this.storedLoad = this.replicator?.initialLoadView; // told while the store re-opens
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

  /** A wait that ends early when the plugin stops. */
  private sleep(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), this.stopRequested]);
  }

  /** A local commit: poke every connected peer, with the changes when they are few (ChangePusher). */
  private pokePeers(committedRow?: RowChange): void {
    if (this.stopped) return;
    this.pusher?.localCommit(
      this.api.connectedPeers().map((peer) => peer.id),
      committedRow,
    );
  }

  private async refreshStatus(): Promise<void> {
    const store = this.store;
    const pool = this.statusPool;
    if (!store || !pool || this.stopped) return;
    await this.stored.refresh(store);
  }

  private async purge(): Promise<void> {
    const store = this.store;
    if (!store || this.stopped) return;
    this.lastPurge = (await purgeTombstones(store, this.api, this.metrics)) ?? this.lastPurge;
  }

  private nodeStatus(): ReplicationNodeStatus {
    const load = this.replicator?.initialLoadView ?? this.storedLoad;
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
      refused: this.refusal.verdict,
      initialLoadPending: load ? initialLoadPending(load) : null,
      initialLoad: initialLoadStatus(load, this.api.connectedPeers(), this.api.now()),
      syncIntervalMs: this.api.config.syncIntervalMs,
      lastError: this.lastError ?? this.stored.error,
      conflicts: { resolved: this.stored.conflicts.total, recent: this.stored.conflicts.recent },
      lastPurge: this.lastPurge,
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
