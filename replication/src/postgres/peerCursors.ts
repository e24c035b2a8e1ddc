/**
 * What this node keeps per peer in msk_sync.peer: our cursor on it (kept in memory with every apply and moved in
 * the database only by compare and set), its incarnation, its acknowledgements of our log (which gate purge), its
 * errors and counters.
 */
import type { Cursor } from '../core/protocol';
import { compareCursors } from '../core/protocol';
import type { PeerProgress } from '../store/replicationStore';
import { SYNC_SCHEMA } from './sql';
import type { StoreContext } from './storeContext';

/** Peers' acknowledgements are written to the database at most this often (they only gate purge). */
export const ACK_PERSIST_INTERVAL_MS = 5000;

/** A joining node's initial load from `peerId` that was cut short (msk_sync.initial_load): rows below `fence`. */
export interface InitialLoadInProgress {
  readonly peerId: string;
  /** The source's xid fence (decimal): the node holds every row of the source once its cursor there reaches it. */
  readonly fence: string;
  readonly startedAtMs: number;
}

export class PeerCursors {
  /** Each peer's incarnation as msk_sync.peer keeps it (read once, then kept with every change). */
  private readonly peerIncarnations = new Map<string, string | null>();
  private readonly pendingAcks = new Map<string, Cursor | null>();
  /** Our cursor on each peer (read once from msk_sync.peer, then kept with every apply; an empty batch moves it
   * here only). */
  private readonly cursors = new Map<string, Cursor | null>();
  /** The cursor on each peer as this store last committed it. Every apply moves it only from this value (compare
   * and set): if PostgreSQL lost the last applies (a crash with asynchronous commit), the apply is refused, the
   * remembered cursors are dropped, and the next pull starts again from the cursor the database kept. */
  private readonly storedCursors = new Map<string, Cursor | null>();
  private lastAckPersistMs = 0;

  constructor(private readonly context: StoreContext) {}

  async peerCursor(peerId: string): Promise<Cursor | null> {
    if (!this.cursors.has(peerId)) await this.loadStoredCursor(peerId);
    return this.cursors.get(peerId) ?? null;
  }

  /** The cursor an apply must find in the database to move it (compare and set). */
  async expectedCursor(peerId: string): Promise<Cursor | null> {
    return this.storedCursors.has(peerId) ? this.storedCursors.get(peerId)! : this.loadStoredCursor(peerId);
  }

  /** An apply committed `cursor`. */
  committed(peerId: string, cursor: Cursor): void {
    this.storedCursors.set(peerId, cursor);
    this.cursors.set(peerId, cursor);
  }

  /** An empty batch: the cursor moves in memory only (pulling again from an older one returns nothing new). */
  async moveInMemory(peerId: string, cursor: Cursor): Promise<void> {
    if (compareCursors(cursor, await this.peerCursor(peerId)) > 0) this.cursors.set(peerId, cursor);
  }

  /** The database's cursor is not where this store left it: read it again before the next apply. */
  forget(peerId: string): void {
    this.cursors.delete(peerId);
    this.storedCursors.delete(peerId);
  }

  private async loadStoredCursor(peerId: string): Promise<Cursor | null> {
    const result = await this.context.pool.query<{ xid: string | null; seq: string | null }>(
      `SELECT cursor_xid::text AS xid, cursor_seq::text AS seq FROM ${SYNC_SCHEMA}.peer WHERE node_id = $1`,
      [peerId],
    );
    const row = result.rows[0];
    const stored = row?.xid && row.seq ? { xid: row.xid, seq: row.seq } : null;
    // an apply may have committed meanwhile: it set the maps, keep its values
    if (!this.storedCursors.has(peerId)) this.storedCursors.set(peerId, stored);
    if (!this.cursors.has(peerId)) this.cursors.set(peerId, this.storedCursors.get(peerId) ?? null);
    return this.storedCursors.get(peerId) ?? null;
  }

  async setPeerCursor(peerId: string, cursor: Cursor): Promise<void> {
    this.forget(peerId);
    await this.context.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.peer (node_id, cursor_xid, cursor_seq) VALUES ($1, $2::xid8, $3::bigint)
       ON CONFLICT (node_id) DO UPDATE SET cursor_xid = excluded.cursor_xid, cursor_seq = excluded.cursor_seq`,
      [peerId, cursor.xid, cursor.seq],
    );
    this.committed(peerId, cursor);
  }

  async peerIncarnation(peerId: string): Promise<string | null> {
    if (!this.peerIncarnations.has(peerId)) {
      const result = await this.context.pool.query<{ incarnation: string | null }>(
        `SELECT source_incarnation AS incarnation FROM ${SYNC_SCHEMA}.peer WHERE node_id = $1`,
        [peerId],
      );
      this.peerIncarnations.set(peerId, result.rows[0]?.incarnation ?? null);
    }
    return this.peerIncarnations.get(peerId) ?? null;
  }

  async setPeerIncarnation(peerId: string, incarnation: string, resetCursor: boolean): Promise<void> {
    this.peerIncarnations.delete(peerId);
    if (resetCursor) this.forget(peerId);
    await this.context.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.peer AS p (node_id, source_incarnation) VALUES ($1, $2)
       ON CONFLICT (node_id) DO UPDATE SET source_incarnation = excluded.source_incarnation
         ${resetCursor ? ', cursor_xid = NULL, cursor_seq = NULL' : ''}`,
      [peerId, incarnation],
    );
    this.peerIncarnations.set(peerId, incarnation);
    if (resetCursor) {
      this.cursors.set(peerId, null);
      this.storedCursors.set(peerId, null);
    }
  }

  async recordPeerError(peerId: string, message: string): Promise<void> {
    await this.context.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.peer AS p (node_id, errors, last_error, last_error_at) VALUES ($1, 1, $2, now())
       ON CONFLICT (node_id) DO UPDATE SET errors = p.errors + 1, last_error = excluded.last_error, last_error_at = now()`,
      [peerId, message.slice(0, 2000)],
    );
  }

  /** A peer pulled from `cursor` (or acknowledged it): kept in memory, written with persistAcks. */
  noteAcknowledged(peerId: string, cursor: Cursor | null): void {
    this.pendingAcks.set(peerId, cursor);
  }

  persistAcksSoon(): void {
    if (this.context.getNowMs() - this.lastAckPersistMs < ACK_PERSIST_INTERVAL_MS) return;
    this.lastAckPersistMs = this.context.getNowMs();
    this.persistAcks().catch(() => undefined);
  }

  /** Writes peers' acknowledgements (kept in memory on the read path, which stays read-only). */
  async persistAcks(): Promise<void> {
    const acks = [...this.pendingAcks.entries()];
    this.pendingAcks.clear();
    for (const [peerId, cursor] of acks) {
      await this.context.pool.query(
        `INSERT INTO ${SYNC_SCHEMA}.peer (node_id, acked_xid, acked_seq) VALUES ($1, $2::xid8, $3::bigint)
         ON CONFLICT (node_id) DO UPDATE SET acked_xid = excluded.acked_xid, acked_seq = excluded.acked_seq`,
        [peerId, cursor?.xid ?? null, cursor?.seq ?? null],
      );
    }
  }

  /** The initial load this node is in the middle of (msk_sync.initial_load), or null. */
  async initialLoadInProgress(): Promise<InitialLoadInProgress | null> {
    const result = await this.context.pool.query<{ source_node_id: string; fence: string; started_at: Date }>(
      `SELECT source_node_id, fence::text AS fence, started_at FROM ${SYNC_SCHEMA}.initial_load`,
    );
    const row = result.rows[0];
    return row ? { peerId: row.source_node_id, fence: row.fence, startedAtMs: row.started_at.getTime() } : null;
  }

  /** A page of an initial load from `peerId` below `fence` was applied: the load is in progress until cleared. */
  async recordInitialLoadInProgress(peerId: string, fence: string): Promise<void> {
    await this.context.pool.query(
      `INSERT INTO ${SYNC_SCHEMA}.initial_load (source_node_id, fence) VALUES ($1, $2::xid8)
       ON CONFLICT (singleton) DO UPDATE SET source_node_id = excluded.source_node_id, fence = excluded.fence,
         started_at = CASE WHEN ${SYNC_SCHEMA}.initial_load.source_node_id = excluded.source_node_id
                           THEN ${SYNC_SCHEMA}.initial_load.started_at ELSE now() END`,
      [peerId, fence],
    );
  }

  async clearInitialLoadInProgress(): Promise<void> {
    await this.context.pool.query(`DELETE FROM ${SYNC_SCHEMA}.initial_load`);
  }

  async peerProgress(): Promise<PeerProgress[]> {
    await this.persistAcks();
    const result = await this.context.pool.query<{
      node_id: string;
      cursor_xid: string | null;
      cursor_seq: string | null;
      acked_xid: string | null;
      acked_seq: string | null;
      last_applied_at: Date | null;
      applied_changes: string;
      conflicts_resolved: string;
      errors: string;
      last_error: string | null;
      last_error_at: Date | null;
    }>(
      `SELECT node_id, cursor_xid::text, cursor_seq::text, acked_xid::text, acked_seq::text, last_applied_at,
              applied_changes::text, conflicts_resolved::text, errors::text, last_error, last_error_at
       FROM ${SYNC_SCHEMA}.peer ORDER BY node_id`,
    );
    return result.rows.map((row) => ({
      peerId: row.node_id,
      cursor: row.cursor_xid && row.cursor_seq ? { xid: row.cursor_xid, seq: row.cursor_seq } : null,
      acknowledged: row.acked_xid && row.acked_seq ? { xid: row.acked_xid, seq: row.acked_seq } : null,
      lastAppliedAtMs: row.last_applied_at?.getTime() ?? null,
      appliedChanges: Number(row.applied_changes),
      conflictsResolved: Number(row.conflicts_resolved),
      errors: Number(row.errors),
      lastError: row.last_error,
      lastErrorAtMs: row.last_error_at?.getTime() ?? null,
    }));
  }
}
