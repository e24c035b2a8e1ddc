/** Two PostgreSQL nodes wired for pushes the way the sync service wires them. */
import type { Push } from '../core/protocol';
import { ChangePusher } from '../engine/changePusher';
import { answerPull } from '../engine/replicationServer';
import { Replicator } from '../engine/replicator';
import type { PostgresNode } from './postgresNodes';

/**
 * The peer's pulls answered by the source (and reported to the source's pusher), pushes applied by the peer's
 * replicator, every message through JSON as on the wire. After the first pull (the pusher learns where the peer
 * stands) each commit the source hears is pushed. Returns every push sent, in order.
 */
export async function wirePushes(source: PostgresNode, peer: PostgresNode): Promise<Push[]> {
  const pushes: Push[] = [];
  const replicator = new Replicator({
    store: peer.store,
    transport: {
      pull: async (_peerId, request) => {
        const answer = await answerPull(source.store, JSON.parse(JSON.stringify(request)), peer.nodeId);
        pusher.served(peer.nodeId, answer);
        return JSON.parse(JSON.stringify(answer));
      },
      snapshot: async () => undefined,
    },
  });
  const pusher: ChangePusher = new ChangePusher({
    store: source.store,
    send: async (_peerId, push) => {
      if (push === null) return false;
      pushes.push(push);
      return (await replicator.applyPushed(source.nodeId, JSON.parse(JSON.stringify(push))))?.kind === 'applied';
    },
  });
  await replicator.catchUp(source.nodeId);
  source.store.onChange((row) => pusher.localCommit([peer.nodeId], row));
  await source.store.listening();
  return pushes;
}
