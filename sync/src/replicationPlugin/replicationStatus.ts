/**
 * The replication plugin's part of the status document: `replication` of the node and of each peer. The plugin
 * builds these; `service:status` (status/replicationSection.ts) reads them back from JSON, as Received<…>, since a
 * node of another release may answer.
 */
import type { RecordedConflict, TableProblem } from '@msk/replication';
import type { InitialLoadStatus } from './initialLoadStatus';
import type { LastBatch, PeerLagView } from './peerReplicationState';

/** refused: the start-up check found tables it cannot replicate as they are (listed in status; readiness fails). */
export type ReplicationState = 'waiting-for-schema' | 'refused' | 'opening' | 'running' | 'failed' | 'stopped';

export interface ReplicationNodeStatus {
  readonly state: ReplicationState;
  readonly since: string;
  /** host/database, never the password */
  readonly database: string;
  readonly tables: readonly string[];
  readonly schemaVersion: string | null;
  /** Migrations followed while running (no restart): how many re-opens, the last change, a shape it can't follow. */
  readonly schema: {
    readonly reopenedAfterMigration: number;
    readonly lastChange: {
      readonly at: string;
      readonly schemaVersion: string;
      readonly addedColumns: readonly string[];
      readonly removedColumns: readonly string[];
    } | null;
    readonly problem: string | null;
  };
  readonly waitingFor: {
    readonly missingTables: readonly string[];
    readonly error: string | null;
    readonly attempts: number;
  } | null;
  /** The start-up check's verdict while it refuses the configured tables (each problem with its fix). */
  readonly refused: { readonly problems: readonly TableProblem[]; readonly checkedAt: string } | null;
  /** An initial load is due, running, or cut short by a restart and not caught up yet (null: not opened yet). */
  readonly initialLoadPending: boolean | null;
  /** Where the initial load stands; `loading`: this node holds part of the data (null: not opened yet). */
  readonly initialLoad: InitialLoadStatus | null;
  readonly syncIntervalMs: number;
  readonly lastError: string | null;
  readonly conflicts: { readonly resolved: number; readonly recent: readonly RecordedConflict[] };
  readonly lastPurge: { readonly at: string; readonly purged: number } | null;
}

/** What the shared-database plugin contributes under the same name: replication is off (sharedDatabasePlugin.ts). */
export interface ReplicationOffStatus {
  readonly state: 'off';
  readonly reason: string;
  readonly database: string;
  readonly capture: {
    readonly checkedAt: string | null;
    readonly removedAt: string | null;
    readonly removedTriggers: number;
    readonly removedObjects: number;
  };
  readonly lastError: string | null;
}

export interface ReplicationPeerStatus {
  readonly lag: PeerLagView;
  readonly lastBatch: LastBatch | null;
  readonly appliedChanges: number;
  readonly conflictsResolved: number;
  readonly errors: number;
  /** The last pull from this peer failed (lastError says why; it stays recorded after recovery). */
  readonly failing: boolean;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastAppliedAt: string | null;
  readonly initialLoads: number;
  /** Set while this peer's changes wait for this node's upgrade (the peer has columns this node lacks). */
  readonly waitingForUpgrade: string | null;
  readonly resumedAfterUpgradeAt: string | null;
}

/** A status value as read back from JSON: any field may be missing or null (another release, a hostile peer). */
export type Received<T> = T extends readonly (infer U)[]
  ? readonly Received<U>[]
  : T extends object
    ? { readonly [K in keyof T]?: Received<T[K]> | null }
    : T;
