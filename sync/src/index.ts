/**
 * The sync service as a library: start one in a process, or build on its authenticated channel (plugins).
 * The command line is cli/main.ts.
 */
export { startSyncService, SyncServiceStartError, SYNC_VERSION } from './service/syncService';
export type { StartedSyncService, SyncServiceOptions } from './service/syncService';
export type {
  SyncServicePlugin,
  SyncServiceApi,
  StartedPlugin,
  PeerRoute,
  PeerRouteRequest,
  ConnectedPeer,
} from './service/plugin';
export { PeerChannelError } from './service/peerChannel';
export type { SignedAnswer } from './service/peerChannel';
export type { RegistryEvent } from './peers/peerRegistry';
export type { SyncStatus, PeerStatus, StatusContributor, RefusedStatus } from './status/statusModel';
export type { Agreement, Mismatch, PeerRef } from './core/agreement';
export { formatStatus } from './status/statusTable';
