/**
 * An in-memory replication store with the same behaviour as the PostgreSQL store (same planner, same cursor and
 * purge rules), for fast tests of the engine and as the reference the PostgreSQL store is checked against.
 * Every write is one "transaction" with its own xid; there are no open transactions, so the xid fence is simply
 * the next xid. Foreign keys behave as ON DELETE CASCADE.
 */
import { randomBytes } from 'node:crypto';
import type { HybridLogicalClock } from '../core/hlc';
import { createHybridLogicalClock } from '../core/hlc';
import type { ChangeBatch, Cursor, ReloadRequired, Snapshot, ValidChange } from '../core/protocol';
import type { SnapshotPage, SnapshotPageRead } from '../core/snapshotPages';
import { PROTOCOL_VERSION, compareCursors } from '../core/protocol';
import { rowChangeOf } from '../core/rowChange';
import type { ColumnValue, RowState } from '../core/rowState';
import { isRowAlive, newestHlc, rowStateOfWrite, rowStateWithDelete, rowStateWithUpdate } from '../core/rowState';
import type { ReplicatedTable, UniqueKey } from '../core/tableSchema';
import { columnNames, schemaVersionOf } from '../core/tableSchema';
import type { PeerBatch } from './batchGate';
import { gateBatch } from './batchGate';
import { hlcWallMs } from '../core/hlc';
import type { LocalRow, LocalView } from './applyPlanner';
import { planApply } from './applyPlanner';
import type {
  ApplyOutcome,
  ChangeListener,
  PeerProgress,
  PurgeOutcome,
  PurgeRequest,
  ReadChangesRequest,
  ReplicationStore,
} from './replicationStore';
import { MAX_COUNTED_LAG_CHANGES } from './replicationStore';

interface MemoryRow {
  state: RowState;
  materialized: boolean;
  pendingParent: string | null;
  origin: string;
  xid: bigint;
  seq: bigint;
}

interface MutablePeer {
  cursor: Cursor | null;
  incarnation?: string | null;
  acknowledged: Cursor | null;
  lastAppliedAtMs: number | null;
  appliedChanges: number;
  conflictsResolved: number;
  errors: number;
  lastError: string | null;
  lastErrorAtMs: number | null;
}

export interface MemoryStoreProps {
  readonly nodeId: string;
  readonly tables: readonly ReplicatedTable[];
  /** @default Date.now */
  readonly getNowMs?: () => number;
  /** @default MAX_FUTURE_DRIFT_MS */
  readonly maxFutureDriftMs?: number;
  /** @default 16 random bytes as hex */
  readonly incarnation?: string;
}

export class LocalWriteError extends Error {}

function cursorOf(row: { xid: bigint; seq: bigint }): Cursor {
  return { xid: row.xid.toString(), seq: row.seq.toString() };
}

function isAfter(row: { xid: bigint; seq: bigint }, cursor: Cursor | null): boolean {
  if (cursor === null) return true;
  const xid = BigInt(cursor.xid);
  return row.xid > xid || (row.xid === xid && row.seq > BigInt(cursor.seq));
}

export class MemoryReplicationStore implements ReplicationStore {
  readonly nodeId: string;
  readonly schemaVersion: string;
  readonly tables: readonly ReplicatedTable[];
  readonly incarnation: string;
  private readonly rows = new Map<string, Map<string, MemoryRow>>();
  private readonly tableByName: Map<string, ReplicatedTable>;
  private readonly peers = new Map<string, MutablePeer>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly clock: HybridLogicalClock;
  private readonly getNowMs: () => number;
  private readonly maxFutureDriftMs: number | undefined;
  private nextXid = 1n;
  private nextSeq = 1n;
  private purgedUpTo: Cursor | null = null;
  /** Serializes applies and local writes, like row locks would. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(props: MemoryStoreProps) {
    this.nodeId = props.nodeId;
    this.tables = props.tables;
    this.schemaVersion = schemaVersionOf(props.tables);
    this.incarnation = props.incarnation ?? randomBytes(16).toString('hex');
    this.tableByName = new Map(props.tables.map((table) => [table.name, table]));
    for (const table of props.tables) this.rows.set(table.name, new Map());
    this.getNowMs = props.getNowMs ?? Date.now;
    this.maxFutureDriftMs = props.maxFutureDriftMs;
    this.clock = createHybridLogicalClock({
      nodeId: props.nodeId,
      getNowMs: this.getNowMs,
      maxFutureDriftMs: props.maxFutureDriftMs,
    });
  }

  private exclusive<T>(work: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private table(name: string): ReplicatedTable {
    const table = this.tableByName.get(name);
    if (!table) throw new LocalWriteError(`table "${name}" is not replicated`);
    return table;
  }

  private rowsOf(table: string): Map<string, MemoryRow> {
    return this.rows.get(table)!;
  }

  private notify(): void {
    for (const listener of this.listeners) queueMicrotask(() => listener());
  }

  private stampAfter(state: RowState | undefined): string {
    const newest = state ? newestHlc(state) : null;
    if (newest) this.clock.receive(newest);
    return this.clock.now();
  }

  private beginTransaction(): bigint {
    const xid = this.nextXid;
    this.nextXid += 1n;
    return xid;
  }

  private writeRow(table: string, pk: string, row: Omit<MemoryRow, 'xid' | 'seq'>, xid: bigint): void {
    this.rowsOf(table).set(pk, { ...row, xid, seq: this.nextSeq++ });
  }

  private checkLocalConstraints(
    table: ReplicatedTable,
    pk: string,
    values: Readonly<Record<string, ColumnValue>>,
  ): void {
    for (const foreignKey of table.foreignKeys) {
      const parentPk = values[foreignKey.column];
      if (parentPk == null) continue;
      if (!this.rowsOf(foreignKey.references).get(parentPk)?.materialized) {
        throw new LocalWriteError(`${table.name}.${foreignKey.column}: no ${foreignKey.references} row ${parentPk}`);
      }
    }
    for (const key of table.uniqueKeys) {
      const value = key.columns.map((column) => values[column]);
      if (value.some((part) => part == null)) continue;
      for (const [otherPk, other] of this.rowsOf(table.name)) {
        if (otherPk === pk || !other.materialized) continue;
        if (key.columns.every((column, index) => other.state.values[column] === value[index])) {
          throw new LocalWriteError(`${table.name}: duplicate value for unique ${key.name}`);
        }
      }
    }
  }

  // ---- local writes (what the application does) ----

  insert(tableName: string, values: Readonly<Record<string, ColumnValue>>): Promise<void> {
    return this.exclusive(() => {
      const table = this.table(tableName);
      const full: Record<string, ColumnValue> = {};
      for (const column of columnNames(table)) full[column] = values[column] ?? null;
      const pk = full[table.primaryKey];
      if (!pk) throw new LocalWriteError(`${tableName}: ${table.primaryKey} is required`);
      const existing = this.rowsOf(tableName).get(pk);
      if (existing?.materialized) throw new LocalWriteError(`${tableName}: duplicate key ${pk}`);
      this.checkLocalConstraints(table, pk, full);
      const stamp = this.stampAfter(existing?.state);
      const state = { ...rowStateOfWrite(full, stamp), deletedHlc: existing?.state.deletedHlc ?? null };
      this.writeRow(
        tableName,
        pk,
        { state, materialized: true, pendingParent: null, origin: this.nodeId },
        this.beginTransaction(),
      );
      this.notify();
    });
  }

  update(tableName: string, pk: string, changes: Readonly<Record<string, ColumnValue>>): Promise<void> {
    return this.exclusive(() => {
      const table = this.table(tableName);
      const existing = this.rowsOf(tableName).get(pk);
      if (!existing?.materialized) throw new LocalWriteError(`${tableName}: no row ${pk}`);
      if (table.primaryKey in changes && changes[table.primaryKey] !== pk) {
        throw new LocalWriteError(`${tableName}: primary keys of replicated tables can't change`);
      }
      const changed: Record<string, ColumnValue> = {};
      for (const [column, value] of Object.entries(changes)) {
        if (!columnNames(table).includes(column)) throw new LocalWriteError(`${tableName}: no column ${column}`);
        if ((existing.state.values[column] ?? null) !== value) changed[column] = value;
      }
      if (Object.keys(changed).length === 0) return;
      this.checkLocalConstraints(table, pk, { ...existing.state.values, ...changed });
      const state = rowStateWithUpdate(existing.state, changed, this.stampAfter(existing.state));
      this.writeRow(tableName, pk, { ...existing, state, origin: this.nodeId }, this.beginTransaction());
      this.notify();
    });
  }

  delete(tableName: string, pk: string): Promise<void> {
    return this.exclusive(() => {
      const xid = this.beginTransaction();
      this.deleteCascading(this.table(tableName), pk, xid);
      this.notify();
    });
  }

  private deleteCascading(table: ReplicatedTable, pk: string, xid: bigint): void {
    const existing = this.rowsOf(table.name).get(pk);
    if (!existing?.materialized) throw new LocalWriteError(`${table.name}: no row ${pk}`);
    for (const child of this.tables) {
      for (const foreignKey of child.foreignKeys) {
        if (foreignKey.references !== table.name) continue;
        for (const [childPk, childRow] of this.rowsOf(child.name)) {
          if (childRow.materialized && childRow.state.values[foreignKey.column] === pk)
            this.deleteCascading(child, childPk, xid);
        }
      }
    }
    const state = rowStateWithDelete(existing.state, this.stampAfter(existing.state));
    this.writeRow(table.name, pk, { state, materialized: false, pendingParent: null, origin: this.nodeId }, xid);
  }

  /** Live, materialized rows of a table (what the application sees), sorted by primary key. */
  visibleRows(tableName: string): Record<string, ColumnValue>[] {
    return [...this.rowsOf(tableName).entries()]
      .filter(([, row]) => row.materialized)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ ...row.state.values }));
  }

  // ---- ReplicationStore ----

  private fence(): bigint {
    return this.nextXid;
  }

  /** Log entries after `cursor` below `fence`, in log order. */
  private entriesAfter(cursor: Cursor | null, fence: bigint): { table: string; pk: string; row: MemoryRow }[] {
    const after: { table: string; pk: string; row: MemoryRow }[] = [];
    for (const [table, rows] of this.rows) {
      for (const [pk, row] of rows) if (row.xid < fence && isAfter(row, cursor)) after.push({ table, pk, row });
    }
    return after.sort((a, b) =>
      a.row.xid !== b.row.xid ? (a.row.xid < b.row.xid ? -1 : 1) : a.row.seq < b.row.seq ? -1 : 1,
    );
  }

  async readSnapshotPage(read: SnapshotPageRead): Promise<SnapshotPage> {
    return this.exclusive(() => {
      const now = this.fence();
      const fence = read.fence !== null && BigInt(read.fence) < now ? BigInt(read.fence) : now;
      const after = this.entriesAfter(read.after, fence);
      const page = after.slice(0, read.limit);
      const hasMore = after.length > read.limit;
      const last = page[page.length - 1];
      return {
        type: 'snapshot-page' as const,
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: this.schemaVersion,
        sourceNodeId: this.nodeId,
        changes: page.map((entry) => rowChangeOf(entry.table, entry.pk, entry.row.origin, entry.row.state)),
        nextCursor: hasMore && last ? cursorOf(last.row) : { xid: fence.toString(), seq: '0' },
        hasMore,
        remainingChanges: 0,
        sourceIncarnation: this.incarnation,
        fence: fence.toString(),
      };
    });
  }

  async readChanges(request: ReadChangesRequest): Promise<ChangeBatch | ReloadRequired> {
    return this.exclusive(() => {
      const peer = this.peer(request.forPeer);
      if (!request.forPush)
        peer.acknowledged = request.acknowledged !== undefined ? request.acknowledged : request.cursor;
      if (this.purgedUpTo !== null && compareCursors(request.cursor, this.purgedUpTo) < 0) {
        return this.reloadRequired(request.cursor);
      }
      const fence = this.fence();
      const after = this.entriesAfter(request.cursor, fence);
      const page = after.slice(0, request.limit);
      const hasMore = after.length > request.limit;
      const last = page[page.length - 1];
      const fenceCursor: Cursor = { xid: fence.toString(), seq: '0' };
      const nextCursor = hasMore && last ? cursorOf(last.row) : fenceCursor;
      return {
        type: 'batch' as const,
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: this.schemaVersion,
        sourceNodeId: this.nodeId,
        changes: page
          .filter((entry) => entry.row.origin !== request.forPeer)
          .map((entry) => rowChangeOf(entry.table, entry.pk, entry.row.origin, entry.row.state)),
        nextCursor,
        hasMore,
        remainingChanges: Math.min(after.length - page.length, MAX_COUNTED_LAG_CHANGES),
        sourceIncarnation: this.incarnation,
      };
    });
  }

  private reloadRequired(cursor: Cursor | null): ReloadRequired {
    return {
      type: 'reload-required',
      protocolVersion: PROTOCOL_VERSION,
      sourceNodeId: this.nodeId,
      purgedUpTo: this.purgedUpTo!,
      message:
        `cursor ${cursor ? `${cursor.xid}/${cursor.seq}` : '(none)'} is behind this node's purge horizon ` +
        `${this.purgedUpTo!.xid}/${this.purgedUpTo!.seq}: load a snapshot`,
    };
  }

  private peer(peerId: string): MutablePeer {
    let peer = this.peers.get(peerId);
    if (!peer) {
      peer = {
        cursor: null,
        acknowledged: null,
        lastAppliedAtMs: null,
        appliedChanges: 0,
        conflictsResolved: 0,
        errors: 0,
        lastError: null,
        lastErrorAtMs: null,
      };
      this.peers.set(peerId, peer);
    }
    return peer;
  }

  private view(): LocalView {
    const toLocal = (pk: string, row: MemoryRow): LocalRow => ({
      pk,
      state: row.state,
      materialized: row.materialized,
      origin: row.origin,
    });
    return {
      loadRows: async (table, pks) => {
        const found = new Map<string, LocalRow>();
        for (const pk of pks) {
          const row = this.rowsOf(table.name).get(pk);
          if (row) found.set(pk, toLocal(pk, row));
        }
        return found;
      },
      materializedPks: async (table, pks) => new Set(pks.filter((pk) => this.rowsOf(table.name).get(pk)?.materialized)),
      materializedChildren: async (table, column, parentPks) => {
        const parents = new Set(parentPks);
        return [...this.rowsOf(table.name)]
          .filter(([, row]) => row.materialized && parents.has(row.state.values[column] ?? ''))
          .map(([pk, row]) => toLocal(pk, row));
      },
      pendingChildren: async (table, parentPks) => {
        const parents = new Set(parentPks);
        return [...this.rowsOf(table.name)]
          .filter(([, row]) => row.pendingParent !== null && parents.has(row.pendingParent))
          .map(([pk, row]) => toLocal(pk, row));
      },
      uniqueHolders: async (table: ReplicatedTable, key: UniqueKey, values) => {
        const wanted = new Set(values);
        return [...this.rowsOf(table.name)]
          .filter(([, row]) => {
            if (!row.materialized) return false;
            const parts = key.columns.map((column) => row.state.values[column]);
            return !parts.some((part) => part == null) && wanted.has(parts.join('\u001f'));
          })
          .map(([pk, row]) => toLocal(pk, row));
      },
    };
  }

  private async applyValid(fromPeer: string, changes: readonly ValidChange[], cursor: Cursor): Promise<ApplyOutcome> {
    const plan = await planApply(this.view(), this.tables, changes, this.nodeId);
    // the plan is complete before anything changes: applying it can't fail half-way
    const xid = this.beginTransaction();
    for (const write of plan.writes) {
      const existing = this.rowsOf(write.table.name).get(write.pk);
      const row = {
        state: write.state,
        materialized: write.materialize,
        pendingParent: write.pendingParent,
        origin: write.origin,
      };
      if (write.stateChanged || !existing) this.writeRow(write.table.name, write.pk, row, xid);
      else Object.assign(existing, row);
    }
    for (const change of changes) {
      const newest = newestHlc(change.state);
      if (newest) this.clock.receive(newest);
    }
    const peer = this.peer(fromPeer);
    peer.cursor = cursor;
    peer.lastAppliedAtMs = this.getNowMs();
    peer.appliedChanges += plan.writes.filter((write) => write.stateChanged).length;
    peer.conflictsResolved += plan.conflicts.length;
    peer.lastError = null;
    if (plan.writes.length > 0) this.notify();
    return {
      ok: true,
      applied: plan.writes.filter((write) => write.stateChanged).length,
      unchanged: plan.unchanged,
      pending: plan.writes.filter((write) => write.pendingParent !== null).length,
      conflicts: plan.conflicts,
      cursor,
    };
  }

  private refuse(fromPeer: string, problems: readonly string[]): ApplyOutcome {
    const peer = this.peer(fromPeer);
    peer.errors += 1;
    peer.lastError = `batch refused: ${problems.join('; ')}`;
    peer.lastErrorAtMs = this.getNowMs();
    return { ok: false, problems };
  }

  applyBatch(fromPeer: string, batch: ChangeBatch): Promise<ApplyOutcome> {
    return this.exclusive(() =>
      this.applyGated({ fromPeer, peerSchema: batch, changes: batch.changes, cursor: batch.nextCursor }),
    );
  }

  /** The batch gate (batchGate.ts), then the merge. */
  private applyGated(batch: PeerBatch): Promise<ApplyOutcome> | ApplyOutcome {
    const verdict = gateBatch(
      {
        schemaVersion: this.schemaVersion,
        tables: this.tables,
        tableByName: this.tableByName,
        nowMs: this.getNowMs(),
        maxFutureDriftMs: this.maxFutureDriftMs,
      },
      batch,
    );
    if (!verdict.pass) {
      if (verdict.refused) return this.refuse(batch.fromPeer, verdict.problems);
      return {
        ok: false,
        problems: verdict.problems,
        ...(verdict.waitingForUpgrade ? { waitingForUpgrade: true } : {}),
      };
    }
    return this.applyValid(batch.fromPeer, verdict.changes, batch.cursor);
  }

  async exportSnapshot(): Promise<Snapshot> {
    return this.exclusive(() => {
      const changes = [];
      for (const [table, rows] of this.rows) {
        for (const [pk, row] of rows) changes.push(rowChangeOf(table, pk, row.origin, row.state));
      }
      return {
        type: 'snapshot' as const,
        protocolVersion: PROTOCOL_VERSION,
        schemaVersion: this.schemaVersion,
        sourceNodeId: this.nodeId,
        cursor: { xid: this.fence().toString(), seq: '0' },
        changes,
        sourceIncarnation: this.incarnation,
      };
    });
  }

  loadSnapshot(fromPeer: string, snapshot: Snapshot): Promise<ApplyOutcome> {
    return this.exclusive(() =>
      this.applyGated({ fromPeer, peerSchema: snapshot, changes: snapshot.changes, cursor: snapshot.cursor }),
    );
  }

  async headCursor(): Promise<Cursor> {
    return { xid: this.fence().toString(), seq: '0' };
  }

  async peerCursor(peerId: string): Promise<Cursor | null> {
    return this.peers.get(peerId)?.cursor ?? null;
  }

  async setPeerCursor(peerId: string, cursor: Cursor): Promise<void> {
    this.peer(peerId).cursor = cursor;
  }

  async peerIncarnation(peerId: string): Promise<string | null> {
    return this.peers.get(peerId)?.incarnation ?? null;
  }

  async setPeerIncarnation(peerId: string, incarnation: string, resetCursor: boolean): Promise<void> {
    const peer = this.peer(peerId);
    peer.incarnation = incarnation;
    if (resetCursor) peer.cursor = null;
  }

  async peerProgress(): Promise<PeerProgress[]> {
    return [...this.peers.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([peerId, { incarnation: _incarnation, ...peer }]) => ({ peerId, ...peer }));
  }

  async recordPeerError(peerId: string, message: string): Promise<void> {
    const peer = this.peer(peerId);
    peer.errors += 1;
    peer.lastError = message;
    peer.lastErrorAtMs = this.getNowMs();
  }

  purge(request: PurgeRequest): Promise<PurgeOutcome> {
    return this.exclusive(() => {
      if (request.knownPeers.length === 0) return { purged: 0, purgedUpTo: this.purgedUpTo };
      let horizon: Cursor | null = null;
      for (const peerId of request.knownPeers) {
        const acknowledged = this.peers.get(peerId)?.acknowledged ?? null;
        if (acknowledged === null) return { purged: 0, purgedUpTo: this.purgedUpTo };
        if (horizon === null || compareCursors(acknowledged, horizon) < 0) horizon = acknowledged;
      }
      const cutoffMs = (request.nowMs ?? this.getNowMs()) - request.retentionMs;
      let purged = 0;
      for (const rows of this.rows.values()) {
        for (const [pk, row] of rows) {
          const deletedHlc = row.state.deletedHlc;
          if (
            deletedHlc === null ||
            isRowAlive(row.state) ||
            isAfter(row, horizon) ||
            hlcWallMs(deletedHlc) >= cutoffMs
          )
            continue;
          rows.delete(pk);
          purged += 1;
          const position = cursorOf(row);
          if (this.purgedUpTo === null || compareCursors(position, this.purgedUpTo) > 0) this.purgedUpTo = position;
        }
      }
      return { purged, purgedUpTo: this.purgedUpTo };
    });
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
