/**
 * The replication engine of the sync service. What the service and its HTTP channel use:
 * - a store: PostgresReplicationStore.open({ connectionString, nodeId, tables }) (or MemoryReplicationStore);
 * - the source side: answerPull / answerSnapshot(store, body, authenticatedPeerId) for the channel's handlers;
 * - the puller side: new Replicator({ store, transport }) with a ReplicationTransport over the channel, driven by
 *   a PullScheduler per peer (poke on the peer's "pull now", SYNC_INTERVAL as fallback);
 * - store.onChange(listener) to send "pull now" to peers after a local commit;
 * - store.peerProgress() for status and metrics; store.purge(...) on a timer.
 */
export * from './core/hlc';
export * from './core/protocol';
export * from './core/snapshotPages';
export type { ColumnValue, RowState } from './core/rowState';
export { isRowAlive, mergeRowStates } from './core/rowState';
export type { ForeignKey, ReplicatedTable, UniqueKey } from './core/tableSchema';
export { schemaVersionOf } from './core/tableSchema';
export { checkReplicatedTables, formatTableProblem } from './core/tableRequirements';
export type { SchemaFacts, TableFacts, TableProblem, TableProblemKind } from './core/tableRequirements';
export { readTableCatalog } from './postgres/tableFacts';
export { CONFLICT_SUFFIX, resolveUniqueConflicts } from './core/uniqueConflicts';
export type {
  ApplyOutcome,
  PeerProgress,
  PurgeOutcome,
  PurgeRequest,
  ReadChangesRequest,
  ReplicationStore,
  UniqueConflictRecord,
} from './store/replicationStore';
export { DEFAULT_PULL_LIMIT, MAX_COUNTED_LAG_CHANGES } from './store/replicationStore';
export { MemoryReplicationStore, LocalWriteError } from './store/memoryStore';
export type { MemoryStoreProps } from './store/memoryStore';
export { PostgresReplicationStore } from './postgres/postgresStore';
export type { PostgresStoreProps } from './postgres/postgresStore';
export type { InitialLoadInProgress } from './postgres/peerCursors';
export type { RecentConflicts, RecordedConflict } from './postgres/statusReads';
export { installReplication, introspectTables, uninstallReplication, ReplicationSetupError } from './postgres/install';
export { CHANGE_CHANNEL, ORIGIN_SETTING, SYNC_SCHEMA } from './postgres/sql';
export { removeCapture } from './postgres/removeCapture';
export type { CaptureRemoval } from './postgres/removeCapture';
export { postgresTableHash, postgresTableHashes } from './postgres/tableHashes';
export type { ReplicationTransport } from './engine/transport';
export { PeerNotReadyError, PeerUnreachableError, SnapshotPagesUnsupportedError } from './engine/transport';
export { answerPull, answerSnapshot, answerSnapshotPage } from './engine/replicationServer';
export type { BadRequest } from './engine/replicationServer';
export { Replicator, MAX_BATCHES_PER_CATCH_UP } from './engine/replicator';
export type { PullOutcome, ReplicatorProps } from './engine/replicator';
export type { LoadProgress } from './engine/pagedLoad';
export { PullScheduler } from './engine/pullScheduler';
export { ChangePusher } from './engine/changePusher';
export type { ChangePusherProps } from './engine/changePusher';
export type { PullSchedulerProps } from './engine/pullScheduler';
export { replicateUntilQuiet, NotQuietError } from './engine/replicateUntilQuiet';
export type { QuietOptions, QuietResult, ReplicationNode } from './engine/replicateUntilQuiet';
export { createInProcessNetwork } from './engine/inProcessTransport';
export type { InProcessNetwork } from './engine/inProcessTransport';
export { TableHash, tableHashOf } from './engine/tableHash';
export {
  NEVER_WRITTEN_HLC,
  comparePeerSchema,
  describeSchema,
  judgePeerSchema,
  schemaDescriptionSchema,
} from './core/schemaCompatibility';
export type { PeerSchemaVerdict, SchemaDescription } from './core/schemaCompatibility';
