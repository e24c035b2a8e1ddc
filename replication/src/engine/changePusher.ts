/**
 * The source side of a poke: a local commit pokes every connected peer, and when the new changes for a peer are
 * few it sends them along (a push), read from where that peer's last pull or push left it. The peer then applies
 * them without asking: one hop instead of poke + pull + answer. When the pusher does not know where the peer
 * stands, or the changes are many or big, the poke goes alone and the peer pulls as before.
 *
 * A commit of a single-row INSERT whose row the store read at once from its capture log (committedRows.ts) sends
 * that row first: a push that leaves the peer's cursor where it is. The usual push, read from the log, follows it.
 *
 * One poke in flight per peer; commits meanwhile coalesce into one more poke after it.
 */
import type { ChangeBatch, Cursor, PullResponse, Push, RowChange } from '../core/protocol';
import { MAX_PUSH_BYTES, MAX_PUSH_CHANGES, PROTOCOL_VERSION } from '../core/protocol';
import type { ReplicationStore } from '../store/replicationStore';
import type { BadRequest } from './replicationServer';

export interface ChangePusherProps {
  readonly store: Pick<ReplicationStore, 'readChanges' | 'nodeId' | 'schemaVersion' | 'incarnation'>;
  /** Pokes the peer, with the changes when `push` is given; resolves whether the peer applied them. */
  readonly send: (peerId: string, push: Push | null) => Promise<boolean>;
  /** @default MAX_PUSH_CHANGES */
  readonly maxChanges?: number;
  /** @default MAX_PUSH_BYTES */
  readonly maxBytes?: number;
  /** After every poke, what came of it (after a failed one, the peer's fallback poll catches up). */
  readonly onSent?: (
    peerId: string,
    result: 'row-pushed' | 'pushed' | 'poked' | 'skipped' | 'failed',
    error?: unknown,
  ) => void;
}

export class ChangePusher {
  /** Where each peer's next pull starts, as far as this node knows. */
  private readonly from = new Map<string, Cursor | null>();
  /** Peers with a poke in flight; true when another commit came meanwhile. */
  private readonly inFlight = new Map<string, boolean>();
  private stopped = false;

  constructor(private readonly props: ChangePusherProps) {}

  /** After answering a peer's pull: when the peer has caught up, a push to it starts at the answer's cursor;
   * while it is catching up (more to pull), it gets plain pokes — a push would only be refused. */
  served(peerId: string, answer: PullResponse | BadRequest): void {
    if (answer.type === 'batch' && !answer.hasMore) this.from.set(peerId, answer.nextCursor);
    else this.from.delete(peerId);
  }

  /** The peer went away: push to it again only after its next pull. */
  forget(peerId: string): void {
    this.from.delete(peerId);
  }

  /** A local commit: poke these peers (sending `committedRow` first to a peer with nothing in flight). */
  localCommit(peerIds: readonly string[], committedRow?: RowChange): void {
    if (this.stopped) return;
    for (const peerId of peerIds) {
      if (this.inFlight.has(peerId)) {
        this.inFlight.set(peerId, true);
        continue;
      }
      this.inFlight.set(peerId, false);
      void this.run(peerId, committedRow);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(peerId: string, committedRow?: RowChange): Promise<void> {
    if (committedRow) await this.pushRow(peerId, committedRow);
    do {
      this.inFlight.set(peerId, false);
      await this.pokeOnce(peerId);
    } while (this.inFlight.get(peerId) && !this.stopped);
    this.inFlight.delete(peerId);
  }

  private async pokeOnce(peerId: string): Promise<void> {
    let push: Push | null = null;
    try {
      const from = this.from.get(peerId);
      if (from !== undefined) {
        const answer = await this.props.store.readChanges({
          forPeer: peerId,
          cursor: from,
          limit: this.props.maxChanges ?? MAX_PUSH_CHANGES,
          forPush: true,
        });
        if (answer.type === 'batch' && !answer.hasMore) {
          // nothing for this peer (what committed came from it): no poke at all
          if (answer.changes.length === 0) return this.props.onSent?.(peerId, 'skipped');
          push = pushOf(from, answer, this.props.maxBytes ?? MAX_PUSH_BYTES);
        }
      }
      // a peer that can't take the push (an older version's small poke body limit) still gets the poke
      const applied = await this.props.send(peerId, push).catch((error: unknown) => {
        if (push === null) throw error;
        push = null;
        return this.props.send(peerId, null);
      });
      // pushed: the next push starts where this one ended; else the peer pulls, and its last pull re-arms pushes
      if (push && applied) this.from.set(peerId, push.batch.nextCursor);
      else this.from.delete(peerId);
      this.props.onSent?.(peerId, push && applied ? 'pushed' : 'poked');
    } catch (error) {
      this.from.delete(peerId);
      this.props.onSent?.(peerId, 'failed', error);
    }
  }

  /** Sends one committed row ahead of the log: a push from and to the peer's cursor. Whatever comes of it, the
   * usual push follows. */
  private async pushRow(peerId: string, row: RowChange): Promise<void> {
    const from = this.from.get(peerId);
    if (from === undefined || from === null) return; // where the peer stands is not known: the usual poke only
    const { nodeId, schemaVersion, incarnation } = this.props.store;
    const batch: ChangeBatch = {
      type: 'batch',
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion,
      sourceNodeId: nodeId,
      changes: [row],
      nextCursor: from,
      hasMore: false,
      remainingChanges: 1,
      sourceIncarnation: incarnation,
    };
    const push = pushOf(from, batch, this.props.maxBytes ?? MAX_PUSH_BYTES);
    if (push === null) return; // too big for a push: the log's poke takes it
    try {
      if (await this.props.send(peerId, push)) this.props.onSent?.(peerId, 'row-pushed');
    } catch (error) {
      this.props.onSent?.(peerId, 'failed', error);
    }
  }
}

function pushOf(fromCursor: Cursor | null, batch: ChangeBatch, maxBytes: number): Push | null {
  const push: Push = { type: 'push', protocolVersion: PROTOCOL_VERSION, fromCursor, batch };
  return Buffer.byteLength(JSON.stringify(push)) <= maxBytes ? push : null;
}
