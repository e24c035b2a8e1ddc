/**
 * Tells every connected peer instance one fact of this node (its app build, its database fingerprint) over the
 * authenticated channel, and learns the peer's from the signed answer: the request body carries the sender's fact,
 * the answer the receiver's. A fact goes out once per peer instance and again when it changes; `tellAll()` (called
 * on every poll or refresh) re-sends it to any peer not yet told the current one, so a lost message heals itself.
 * A restarted peer (a new instance) is told again. A peer of an older version without the route is not told.
 */
import type { z } from 'zod';
import { type ParseResult, parseMessage } from '../core/peerProtocol';
import type { RegistryEvent } from '../peers/peerRegistry';
import type { Route } from '../transport/peerServer';
import { signedRequest } from './peerChannel';
import type { ServiceContext } from './serviceContext';

/** A new peer hears our facts this long after it connected: after the first heartbeat, which measures the clock skew. */
export const FIRST_EXCHANGE_DELAY_MS = 250;

export interface PeerFactExchangeProps<F> {
  /** The peer route both sides post to. */
  readonly path: string;
  readonly maxBodyBytes: number;
  readonly requestTimeoutMs: number;
  /** Validates a message from a peer (request body or answer) and takes the fact out of it. */
  readonly parse: (json: unknown) => ParseResult<F>;
  /** The message carrying a fact, e.g. `{ build }`. */
  readonly message: (fact: F) => unknown;
  /** This node's fact now. */
  readonly own: () => F;
  /** Equal facts have equal keys: a peer instance told a fact with this key is not told it again. */
  readonly key: (fact: F) => string;
  /** A peer's fact arrived (in its request or in its answer to ours). */
  readonly learned: (peerId: string, fact: F) => void;
  /** A peer's connection changed other than by connecting (e.g. it disconnected). */
  readonly onPeerChanged?: (peerId: string) => void;
  /** The `source` label of dropped malformed messages; answers count as `<source>-answer`. */
  readonly source: string;
  /** For the debug log line of a failed exchange: `could not exchange <what>`. */
  readonly what: string;
}

/** `parse` and `message` of a fact carried as the one field of a message, e.g. `{ build }`. */
export function oneFieldMessage<K extends string, F>(
  schema: z.ZodType<Record<K, F>>,
  field: K,
): Pick<PeerFactExchangeProps<F>, 'parse' | 'message'> {
  return {
    parse: (json) => {
      const parsed = parseMessage(schema, json);
      return parsed.ok ? { ok: true, value: parsed.value[field] } : parsed;
    },
    message: (fact) => ({ [field]: fact }),
  };
}

export class PeerFactExchange<F> {
  /** Per connected peer instance (`id/instanceId`): the key of the fact we last told it. */
  private readonly told = new Map<string, string>();
  private readonly inFlight = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly props: PeerFactExchangeProps<F>,
  ) {
    this.unsubscribe = ctx.registry.onEvent((event: RegistryEvent) => {
      const { id, instanceId } = event.peer.identity;
      this.told.delete(`${id}/${instanceId}`);
      if (event.type === 'peer-connected') setTimeout(() => void this.tell(id), FIRST_EXCHANGE_DELAY_MS).unref();
      else props.onPeerChanged?.(id);
    });
  }

  route(): Route {
    const { path, maxBodyBytes, parse, message, own, learned, source } = this.props;
    return {
      method: 'POST',
      path,
      access: 'peer',
      maxBodyBytes,
      handle: (request) => {
        const parsed = parse(request.json);
        if (!parsed.ok) {
          this.ctx.metrics.droppedMessages.inc({ reason: 'malformed', source });
          return { status: 400, json: { error: 'malformed' } };
        }
        learned((request.peer as { peerId: string }).peerId, parsed.value);
        return { status: 200, json: message(own()) };
      },
    };
  }

  /** Sends this node's fact to every connected peer not yet told the current one. */
  tellAll(): void {
    for (const node of this.ctx.registry.connectedNodes()) void this.tell(node.identity.id);
  }

  private async tell(peerId: string): Promise<void> {
    const node = this.ctx.registry.nodes.get(peerId);
    if (!node || !node.connected) return;
    const { path, requestTimeoutMs, parse, message, own, key, learned, source, what } = this.props;
    const peerKey = `${peerId}/${node.identity.instanceId}`;
    const fact = own();
    if (this.told.get(peerKey) === key(fact) || this.inFlight.has(peerKey)) return;
    this.inFlight.add(peerKey);
    try {
      const answer = await signedRequest(this.ctx, peerId, {
        method: 'POST',
        path,
        json: message(fact),
        timeoutMs: requestTimeoutMs,
      });
      const parsed = parse(answer.json);
      if (answer.status !== 200 || !parsed.ok) {
        this.ctx.metrics.droppedMessages.inc({ reason: 'malformed', source: `${source}-answer` });
        return;
      }
      this.told.set(peerKey, key(fact));
      learned(peerId, parsed.value);
    } catch (error) {
      // Retried on the next tellAll(); an older peer without the route answers no-route every time (harmless).
      this.ctx.logger.debug(
        { peerId, error: error instanceof Error ? error.message : String(error) },
        `could not exchange ${what}`,
      );
    } finally {
      this.inFlight.delete(peerKey);
    }
  }

  stop(): void {
    this.unsubscribe();
  }
}
