/** Replication running inside the sync service (a plugin on its authenticated channel). */
export {
  replicationPlugin,
  STATUS_REFRESH_INTERVAL_MS,
  PURGE_INTERVAL_MS,
  PURGE_RETENTION_MS,
} from './replicationPlugin';
export type { ReplicationPluginOptions } from './replicationPlugin';
export type {
  ReplicationNodeStatus,
  ReplicationOffStatus,
  ReplicationPeerStatus,
  ReplicationState,
  Received,
} from './replicationStatus';
export { REPLICATION_ROUTES } from './channelTransport';
export { sharedDatabasePlugin, CAPTURE_CHECK_INTERVAL_MS } from './sharedDatabasePlugin';
