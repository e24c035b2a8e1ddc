/**
 * The `replication.initialLoad` part of the status document: whether this node is still getting its initial data
 * (the app's readiness answers 503 while `loading` is true). Pure: the plugin passes the replicator's view and the
 * connected peers.
 *
 * loading is true while an initial load runs, while one is due and a peer is connected to load from, and while a
 * load cut short by a restart is caught up from its source (connected). Never while nothing can be loaded: the
 * first node of a fresh cluster and a one-node deployment have no peer, so they are not loading. A forced reload
 * ("reload required") of a node that completed its initial load is not loading either: its data is complete. Nor
 * is a node that held rows of its own before its load (it ran alone until its first peer came, was restored, or
 * holds the first admin its app created) once a peer refused its load: it serves what it has rather than stay
 * unready until the peer changes. A node that held nothing stays unready: it has nothing to serve.
 */
import type { ConnectedPeer } from '../service/plugin';
import type { InitialLoadPhase, InitialLoadView } from './loadingReplicator';

export interface InitialLoadStatus {
  readonly loading: boolean;
  readonly phase: InitialLoadPhase;
  /** The peer loaded from; null while the load waits for its first pull (any connected peer may be the source). */
  readonly source: { readonly id: string; readonly name: string | null } | null;
  /** The source's xid fence: a restarted node is done once its cursor there reaches it. */
  readonly fence: string | null;
  /** Pages and row states this process applied from the source (a restarted node counts from 0 again). */
  readonly pages: number;
  readonly rowsReceived: number;
  readonly rowsApplied: number;
  readonly startedAt: string | null;
  /** The peers connected now (a due load starts with the first one pulled). */
  readonly connectedPeers: number;
  /** The node held rows of its own before its initial load: once a peer refused the load, it serves them. */
  readonly heldData: boolean;
  /** Why the last attempt at the initial load was refused, or null. */
  readonly refusal: string | null;
}

/** An initial load is due, running, or cut short by a restart and not caught up yet (whether or not it blocks readiness). */
export function initialLoadPending(view: InitialLoadView): boolean {
  return view.phase === 'due' || view.phase === 'loading' || view.phase === 'catching-up';
}

export function initialLoadStatus(
  view: InitialLoadView | undefined,
  connected: readonly Pick<ConnectedPeer, 'id' | 'name'>[],
  nowMs: number,
): InitialLoadStatus | null {
  if (!view) return null;
  const sourcePeer = view.sourcePeerId ? connected.find((peer) => peer.id === view.sourcePeerId) : undefined;
  const refusedWithData = (view.heldData ?? false) && (view.refusal ?? null) !== null;
  let loading: boolean;
  switch (view.phase) {
    case 'loading':
      loading = !refusedWithData;
      break;
    case 'due':
      loading = !refusedWithData && connected.length > 0;
      break;
    case 'catching-up':
      loading = sourcePeer !== undefined;
      break;
    default:
      loading = false;
  }
  return {
    loading,
    phase: view.phase,
    source: view.sourcePeerId ? { id: view.sourcePeerId, name: sourcePeer?.name ?? null } : null,
    fence: view.fence,
    pages: view.pages,
    rowsReceived: view.rowsReceived,
    rowsApplied: view.rowsApplied,
    startedAt: view.startedAtMs === null ? null : new Date(Math.min(view.startedAtMs, nowMs)).toISOString(),
    connectedPeers: connected.length,
    heldData: view.heldData ?? false,
    refusal: view.refusal ?? null,
  };
}
