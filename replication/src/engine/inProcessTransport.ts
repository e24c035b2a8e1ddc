/**
 * A transport that calls the source store in the same process, with a JSON round trip both ways so the engine
 * sees exactly what it would get over HTTP. Used by tests and the benchmark until the authenticated HTTP channel
 * carries the same messages. A node can be marked down (unreachable).
 */
import type { ReplicationStore } from '../store/replicationStore';
import { answerPull, answerSnapshot, answerSnapshotPage } from './replicationServer';
import type { ReplicationTransport } from './transport';
import { PeerUnreachableError } from './transport';

export interface InProcessNetwork {
  transportFor(requesterNodeId: string): ReplicationTransport;
  setDown(nodeId: string, down: boolean): void;
  isDown(nodeId: string): boolean;
}

const wire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

export function createInProcessNetwork(storeOf: (nodeId: string) => ReplicationStore | undefined): InProcessNetwork {
  const down = new Set<string>();
  const reach = (requester: string, peerId: string): ReplicationStore => {
    const store = storeOf(peerId);
    if (!store) throw new PeerUnreachableError(peerId, 'no such node');
    if (down.has(peerId)) throw new PeerUnreachableError(peerId, 'node is down');
    if (down.has(requester)) throw new PeerUnreachableError(peerId, `requester ${requester} is down`);
    return store;
  };
  return {
    transportFor(requesterNodeId) {
      return {
        async pull(peerId, request) {
          return wire(await answerPull(reach(requesterNodeId, peerId), wire(request), requesterNodeId));
        },
        async snapshot(peerId, request) {
          return wire(await answerSnapshot(reach(requesterNodeId, peerId), wire(request), requesterNodeId));
        },
        async snapshotPage(peerId, request) {
          return wire(await answerSnapshotPage(reach(requesterNodeId, peerId), wire(request), requesterNodeId));
        },
      };
    },
    setDown(nodeId, isDown) {
      if (isDown) down.add(nodeId);
      else down.delete(nodeId);
    },
    isDown: (nodeId) => down.has(nodeId),
  };
}
