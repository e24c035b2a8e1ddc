/**
 * The store interface the replication engine needs. Two implementations: PostgreSQL (postgres/postgresStore.ts,
 * triggers + xid fence) and in memory (memoryStore.ts). One behaviour suite (replicationBehaviour.ts) runs against
 * both. Stores hold no transport logic; the engine (engine/replicator.ts) moves messages between them.
 */
import type { ChangeBatch, Cursor, ReloadRequired, RowChange, Snapshot } from '../core/protocol';
import type { SnapshotPage, SnapshotPageRead } from '../core/snapshotPages';
import type { ReplicatedTable } from '../core/tableSchema';

export interface ReadChangesRequest {
  /** The peer asking: states whose origin is this peer are not sent back to it. */
  readonly forPeer: string;
  /** Last position the peer applied (null: from the start). Also recorded as the peer's acknowledgement. */
  readonly cursor: Cursor | null;
  readonly limit: number;
  /** What the peer has applied, when it asks ahead of it (default: `cursor`). */
  readonly acknowledged?: Cursor | null;
  /** A read for a push (the peer did not ask): records no acknowledgement. */
  readonly forPush?: boolean;
}

export interface UniqueConflictRecord {
  readonly table: string;
  readonly constraint: string;
  readonly winnerPk: string;
  readonly loserPk: string;
  readonly renamedColumn: string;
  readonly renamedTo: string;
}

export type ApplyOutcome =
  | {
      readonly ok: true;
      /** States that changed this node (written). */
      readonly applied: number;
      /** States this node already had (duplicates, echoes, older states). */
      readonly unchanged: number;
      /** Live rows waiting for a parent row that is not here (yet). */
      readonly pending: number;
      readonly conflicts: readonly UniqueConflictRecord[];
      readonly cursor: Cursor;
    }
  | {
      readonly ok: false;
      readonly problems: readonly string[];
      /** The peer has columns this node lacks: nothing applied, not an error — it waits for this node's upgrade. */
      readonly waitingForUpgrade?: boolean;
    };

export interface PeerProgress {
  readonly peerId: string;
  /** Our cursor on that peer (what we applied from it). */
  readonly cursor: Cursor | null;
  /** Its last acknowledged position on us (the cursor it sent in its last pull). */
  readonly acknowledged: Cursor | null;
  readonly lastAppliedAtMs: number | null;
  readonly appliedChanges: number;
  readonly conflictsResolved: number;
  /** Pulls from that peer that failed (unreachable, refused batch, reload required, ...). */
  readonly errors: number;
  readonly lastError: string | null;
  readonly lastErrorAtMs: number | null;
}

export interface PurgeRequest {
  /** Peers that must have acknowledged a tombstone before it goes. With no known peers nothing is purged. */
  readonly knownPeers: readonly string[];
  readonly retentionMs: number;
  /** @default Date.now() */
  readonly nowMs?: number;
}

export interface PurgeOutcome {
  readonly purged: number;
  /** The source answers "reload required" to cursors below this. */
  readonly purgedUpTo: Cursor | null;
}

export interface ReplicationStore {
  readonly nodeId: string;
  readonly schemaVersion: string;
  readonly tables: readonly ReplicatedTable[];
  /**
   * This database's incarnation (32 hex characters): made with its change log, made anew by a restore. Every batch
   * and snapshot carries it; cursors on this node are only valid within it.
   */
  readonly incarnation: string;

  /** Row states after `cursor`, below the xid fence, in log order (or "reload required"). */
  readChanges(request: ReadChangesRequest): Promise<ChangeBatch | ReloadRequired>;
  /**
   * Applies a peer's batch in ONE transaction together with our new cursor on that peer. A batch that fails
   * validation applies nothing; the problem is recorded as the peer's last error and returned.
   */
  applyBatch(fromPeer: string, batch: ChangeBatch): Promise<ApplyOutcome>;
  /** Every row state (live, pending, tombstones) in one consistent read, and the cursor taken before it. */
  exportSnapshot(): Promise<Snapshot>;
  /** A page of an initial load for a peer: entries below a fence after a position (core/snapshotPages.ts). */
  readSnapshotPage(read: SnapshotPageRead): Promise<SnapshotPage>;
  /** Merges a peer's snapshot and sets our cursor on that peer to the snapshot's cursor, in one transaction. */
  loadSnapshot(fromPeer: string, snapshot: Snapshot): Promise<ApplyOutcome>;
  /** The cursor a brand-new puller may start from without missing anything written after now. */
  headCursor(): Promise<Cursor>;
  /** Our cursor on a peer: the position after the last batch we applied from it (null: nothing yet). */
  peerCursor(peerId: string): Promise<Cursor | null>;
  /** Sets our cursor on a peer (used after an initial load from another peer). */
  setPeerCursor(peerId: string, cursor: Cursor): Promise<void>;
  /** The incarnation of the peer's database that our cursor on it belongs to (null: not known yet). */
  peerIncarnation(peerId: string): Promise<string | null>;
  /**
   * Records the peer's incarnation. With `resetCursor` our cursor on that peer goes back to null (pull from its
   * start) in the same statement: the cursor was made by another incarnation of the peer's database.
   */
  setPeerIncarnation(peerId: string, incarnation: string, resetCursor: boolean): Promise<void>;
  peerProgress(): Promise<PeerProgress[]>;
  purge(request: PurgeRequest): Promise<PurgeOutcome>;
  /** Records a problem with a peer (shown in status) without applying anything. */
  recordPeerError(peerId: string, message: string): Promise<void>;
  /** Calls `listener` soon after any commit that changed replicated state (local write or apply). */
  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}

/**
 * Told of a local commit. `committedRow`: the row a single-row INSERT committed, read from the capture log at
 * once (PostgreSQL, committedRows.ts) — the pusher sends it on before the fold and the read.
 */
export type ChangeListener = (committedRow?: RowChange) => void;

/** Most row states a puller asks for at once. */
export const DEFAULT_PULL_LIMIT = 2000;
/** Lag counts above this are reported as this (counting is capped to keep pulls cheap when far behind). */
export const MAX_COUNTED_LAG_CHANGES = 10_000;
