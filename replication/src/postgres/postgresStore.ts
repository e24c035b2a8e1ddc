/**
 * The PostgreSQL replication store: capture triggers write the change log (installed by install.ts), the log is
 * read behind the xid fence, a peer's batch is applied in ONE transaction with our cursor on that peer, with the
 * origin set in a session setting so capture stands aside and the state is recorded with its true origin.
 * Merge, materialization and conflict decisions come from the shared planner (store/applyPlanner.ts).
 *
 * This class opens the store and wires its parts, which share one StoreContext (pool, prepared statements):
 *   changeReader (pulls, snapshots) -> captureFolder (local writes into the log)
 *   batchApplier (applies; applyView, planStatements) -> captureFolder, peerCursors
 *   peerCursors (cursors, incarnations, acknowledgements), logPurge, changeNotifier (LISTEN / polling)
 */
import { Pool } from 'pg';
import { NODE_ID_PATTERN } from '../core/hlc';
import type { ChangeBatch, Cursor, ReloadRequired, Snapshot } from '../core/protocol';
import type { SnapshotPage, SnapshotPageRead } from '../core/snapshotPages';
import type { ReplicatedTable } from '../core/tableSchema';
import type {
  ApplyOutcome,
  ChangeListener,
  PeerProgress,
  PurgeOutcome,
  PurgeRequest,
  ReadChangesRequest,
  ReplicationStore,
} from '../store/replicationStore';
import { BatchApplier } from './batchApplier';
import { CaptureFolder } from './captureFolder';
import type { RecentConflicts } from './statusReads';
import { readRecentConflicts, readStoredIncarnation } from './statusReads';
import { ChangeNotifier } from './changeNotifier';
import { ChangeReader } from './changeReader';
import type { InstallResult } from './install';
import { installReplication } from './install';
import { purgeChangeLog } from './logPurge';
import { type InitialLoadInProgress, PeerCursors } from './peerCursors';
import { readSnapshotPage } from './snapshotPageReader';
import { SYNC_SCHEMA } from './sql';
import { StoreContext, poolConfig } from './storeContext';

export { APPLY_CHUNK_CHANGES, MAX_APPLY_ATTEMPTS } from './batchApplier';
export { CAPTURE_VACUUM_AFTER_ENTRIES } from './captureFolder';
export { GATE_FOLLOWER_RETRY_MS, LISTEN_RECONNECT_DELAY_MS, POLL_REPOKE_MS } from './changeNotifier';
export { ACK_PERSIST_INTERVAL_MS } from './peerCursors';

export interface PostgresStoreProps {
  readonly connectionString: string;
  readonly nodeId: string;
  /** Tables of schema public to replicate. */
  readonly tables: readonly string[];
  /** @default 4 */
  readonly poolSize?: number;
  /** This node's clock. @default Date.now */
  readonly getNowMs?: () => number;
  /**
   * Shift of this node's clock in ms, for the stamps the capture triggers take from PostgreSQL's clock; pass the
   * same shift in getNowMs (fault drills only). @default 0
   */
  readonly clockOffsetMs?: number;
  /** @default MAX_FUTURE_DRIFT_MS */
  readonly maxFutureDriftMs?: number;
  /**
   * How the store learns of local commits (onChange): 'notify' — a NOTIFY from the capture triggers, at once but
   * serializing concurrent committers; 'poll' — no NOTIFY, the head of the log is polled every `pollIntervalMs`.
   * @default { mode: 'notify' }
   */
  readonly poke?: { readonly mode: 'notify' } | { readonly mode: 'poll'; readonly pollIntervalMs: number };
}

/** Shortest head-polling period accepted (each poll is one tiny query). */
export const MIN_POLL_INTERVAL_MS = 1;

export class PostgresReplicationStore implements ReplicationStore {
  readonly nodeId: string;
  readonly schemaVersion: string;
  readonly tables: readonly ReplicatedTable[];
  readonly incarnation: string;
  /** Columns ("table.column") a migration added / removed since the previous install (install.ts). */
  readonly addedColumns: readonly string[];
  readonly removedColumns: readonly string[];
  private readonly context: StoreContext;
  private readonly folder: CaptureFolder;
  private readonly peers: PeerCursors;
  private readonly reader: ChangeReader;
  private readonly applier: BatchApplier;
  private readonly notifier: ChangeNotifier;

  private constructor(context: StoreContext, installed: InstallResult, pollIntervalMs: number | undefined) {
    this.context = context;
    this.nodeId = context.nodeId;
    this.schemaVersion = context.schemaVersion;
    this.tables = context.tables;
    this.incarnation = context.incarnation;
    this.addedColumns = installed.addedColumns;
    this.removedColumns = installed.removedColumns;
    this.folder = new CaptureFolder(context);
    this.peers = new PeerCursors(context);
    this.reader = new ChangeReader(context, this.folder, this.peers);
    this.applier = new BatchApplier(context, this.folder, this.peers);
    this.notifier = new ChangeNotifier(context, this.reader, pollIntervalMs);
  }

  /** Installs (idempotently) capture on the tables and opens the store. */
  static async open(props: PostgresStoreProps): Promise<PostgresReplicationStore> {
    if (!NODE_ID_PATTERN.test(props.nodeId))
      throw new RangeError(`node id "${props.nodeId}" is not 16 lowercase hex characters (SYNC_NODE_ID)`);
    const pool = new Pool(poolConfig(props.connectionString, props.poolSize ?? 4));
    pool.on('error', () => undefined); // an idle client's broken connection: the next query reports it
    // A checked-out client has no listener of the pool's: without this, its PostgreSQL going away between two
    // queries ("terminating connection due to unexpected postmaster exit") is an unhandled 'error' event that
    // ends the whole sync service. The query in flight still rejects, and the caller retries.
    pool.on('connect', (client) => client.on('error', () => undefined));
    try {
      const poke = props.poke ?? { mode: 'notify' as const };
      if (poke.mode === 'poll' && !(poke.pollIntervalMs >= MIN_POLL_INTERVAL_MS)) {
        throw new RangeError(
          `poke.pollIntervalMs must be at least ${MIN_POLL_INTERVAL_MS} ms (got ${poke.pollIntervalMs})`,
        );
      }
      const installed: InstallResult = await installReplication(pool, {
        nodeId: props.nodeId,
        tables: props.tables,
        notifyOnCommit: poke.mode === 'notify',
        clockOffsetMs: props.clockOffsetMs ?? 0,
      });
      const horizon = await pool.query<{ xid: string | null; seq: string | null; incarnation: string }>(
        `SELECT purged_up_to_xid::text AS xid, purged_up_to_seq::text AS seq, incarnation FROM ${SYNC_SCHEMA}.node`,
      );
      const row = horizon.rows[0];
      const context = new StoreContext({
        pool,
        connectionString: props.connectionString,
        nodeId: props.nodeId,
        tables: installed.tables,
        purgedUpTo: row?.xid && row.seq ? { xid: row.xid, seq: row.seq } : null,
        incarnation: row!.incarnation,
        getNowMs: props.getNowMs,
        maxFutureDriftMs: props.maxFutureDriftMs,
      });
      return new PostgresReplicationStore(context, installed, poke.mode === 'poll' ? poke.pollIntervalMs : undefined);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  readChanges(request: ReadChangesRequest): Promise<ChangeBatch | ReloadRequired> {
    return this.reader.readChanges(request);
  }

  exportSnapshot(): Promise<Snapshot> {
    return this.reader.exportSnapshot();
  }

  async readSnapshotPage(read: SnapshotPageRead): Promise<SnapshotPage> {
    // the first page: local writes into the log first, so they are below the fence the load is taken under
    if (read.fence === null) await this.foldNow();
    return readSnapshotPage(this.context, read);
  }

  headCursor(): Promise<Cursor> {
    return this.reader.headCursor();
  }

  applyBatch(fromPeer: string, batch: ChangeBatch): Promise<ApplyOutcome> {
    return this.applier.apply({ fromPeer, peerSchema: batch, changes: batch.changes, cursor: batch.nextCursor });
  }

  loadSnapshot(fromPeer: string, snapshot: Snapshot): Promise<ApplyOutcome> {
    return this.applier.apply({ fromPeer, peerSchema: snapshot, changes: snapshot.changes, cursor: snapshot.cursor });
  }

  /** Folds in a short transaction of its own (before serving a snapshot; tests). Returns entries taken. */
  foldNow(): Promise<number> {
    return this.folder.foldNow();
  }

  peerCursor(peerId: string): Promise<Cursor | null> {
    return this.peers.peerCursor(peerId);
  }

  setPeerCursor(peerId: string, cursor: Cursor): Promise<void> {
    return this.peers.setPeerCursor(peerId, cursor);
  }

  peerIncarnation(peerId: string): Promise<string | null> {
    return this.peers.peerIncarnation(peerId);
  }

  setPeerIncarnation(peerId: string, incarnation: string, resetCursor: boolean): Promise<void> {
    return this.peers.setPeerIncarnation(peerId, incarnation, resetCursor);
  }

  recordPeerError(peerId: string, message: string): Promise<void> {
    return this.peers.recordPeerError(peerId, message);
  }

  /** Writes peers' acknowledgements (kept in memory on the read path, which stays read-only). */
  persistAcks(): Promise<void> {
    return this.peers.persistAcks();
  }

  peerProgress(): Promise<PeerProgress[]> {
    return this.peers.peerProgress();
  }

  initialLoadInProgress(): Promise<InitialLoadInProgress | null> {
    return this.peers.initialLoadInProgress();
  }

  recordInitialLoadInProgress(peerId: string, fence: string): Promise<void> {
    return this.peers.recordInitialLoadInProgress(peerId, fence);
  }

  clearInitialLoadInProgress(): Promise<void> {
    return this.peers.clearInitialLoadInProgress();
  }

  purge(request: PurgeRequest): Promise<PurgeOutcome> {
    return purgeChangeLog(this.context, this.peers, request);
  }

  /** The unique-constraint conflicts resolved on this node: how many in all, and the newest `limit`. */
  recentConflicts(limit: number): Promise<RecentConflicts> {
    return readRecentConflicts(this.context.pool, limit);
  }

  /** The incarnation the database holds now: another than `incarnation` when it was restored under this store. */
  storedIncarnation(): Promise<string | null> {
    return readStoredIncarnation(this.context.pool);
  }

  onChange(listener: ChangeListener): () => void {
    return this.notifier.onChange(listener);
  }

  /** Resolves once the LISTEN connection is ready (tests and the benchmark wait for it). */
  listening(): Promise<void> {
    return this.notifier.listening();
  }

  async close(): Promise<void> {
    if (this.context.closed) return;
    this.context.closed = true;
    await this.notifier.stop();
    await this.peers.persistAcks().catch(() => undefined);
    await this.context.pool.end();
  }
}
