/**
 * Keeps this node connected: dials every due address discovery proposed (short backoff at first, so nodes
 * starting together meet within milliseconds), heartbeats connected peers (liveness and clock skew), and says
 * goodbye on shutdown.
 */
import { estimateClockSkewMs } from '../core/handshake';
import { PATHS, heartbeatAnswerSchema, parseMessage } from '../core/peerProtocol';
import { initiateHandshake } from './handshakeInitiator';
import { PeerChannelError, signedRequest } from './peerChannel';
import {
  GOODBYE_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_TIMEOUT_MS,
  PROBE_TIMEOUT_MS,
  type ServiceContext,
} from './serviceContext';

/** Dials in flight at once. */
export const MAX_CONCURRENT_DIALS = 16;
/** After a goodbye the peer is shutting down: wait before dialling it again. */
export const AFTER_GOODBYE_RETRY_MS = 1_000;
/** Heartbeats that may time out in a row before the peer counts as gone. */
export const HEARTBEAT_FAILURES_BEFORE_DISCONNECT = 2;
const SESSION_ENDING_FAILURES = new Set([
  'unknown-session',
  'no-session',
  'wrong-node',
  'bad-signature',
  'tls-certificate-mismatch',
]);
const DEFINITE_FAILURES = new Set([
  'ECONNREFUSED',
  'unknown-session',
  'no-session',
  'wrong-node',
  'bad-signature',
  'tls-certificate-mismatch',
]);

export class PeerConnector {
  private dialTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private dialsInFlight = 0;
  private readonly heartbeatFailures = new Map<string, number>();
  private stopped = true;
  private readonly unsubscribe: () => void;

  constructor(private readonly ctx: ServiceContext) {
    this.unsubscribe = ctx.registry.onEvent((event) => {
      if (event.type === 'peer-connected') {
        // Measure the clock skew at once (inbound peers have none yet) without waiting for the next round.
        setImmediate(() => void this.heartbeat(event.peer.identity.id, HEARTBEAT_TIMEOUT_MS));
      } else {
        this.kick();
      }
    });
  }

  start(): void {
    this.stopped = false;
    this.kick();
    this.heartbeatTimer = setInterval(() => this.heartbeatAll(), HEARTBEAT_INTERVAL_MS);
    this.heartbeatTimer.unref();
  }

  /** Dial whatever is due, now (discovery found something, a peer went away). */
  kick(): void {
    if (this.stopped) return;
    if (this.dialTimer) clearTimeout(this.dialTimer);
    this.dialTimer = setTimeout(() => this.dialDue(), 0);
  }

  private dialDue(): void {
    if (this.stopped) return;
    this.dialTimer = undefined;
    const nowMs = this.ctx.now();
    for (const candidate of this.ctx.registry.dueCandidates(nowMs)) {
      if (this.dialsInFlight >= MAX_CONCURRENT_DIALS) break;
      this.dialsInFlight += 1;
      void initiateHandshake(this.ctx, (id) => this.probeAlive(id), candidate.address)
        .catch((error: unknown) => {
          this.ctx.logger.error({ address: candidate.address, error: String(error) }, 'handshake crashed');
          this.ctx.registry.attemptFailed(candidate.address, String(error), this.ctx.now());
        })
        .finally(() => {
          this.dialsInFlight -= 1;
          this.scheduleNext();
        });
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.stopped || this.dialTimer) return;
    const next = this.ctx.registry.nextDueAtMs();
    if (next === undefined) return;
    const delayMs = Math.max(0, next - this.ctx.now());
    this.dialTimer = setTimeout(() => this.dialDue(), delayMs);
    this.dialTimer.unref();
  }

  private heartbeatAll(): void {
    for (const node of this.ctx.registry.connectedNodes()) void this.heartbeat(node.identity.id, HEARTBEAT_TIMEOUT_MS);
  }

  /** One heartbeat: true if the peer answered. Failures disconnect the peer (and its address is dialled again). */
  async heartbeat(peerId: string, timeoutMs: number): Promise<boolean> {
    const { ctx } = this;
    const sentAtMs = ctx.now();
    try {
      const answer = await this.sendHeartbeat(peerId, sentAtMs, timeoutMs);
      const parsed = parseMessage(heartbeatAnswerSchema, answer.json);
      if (answer.status !== 200 || !parsed.ok) {
        ctx.metrics.droppedMessages.inc({ reason: 'malformed', source: 'heartbeat-answer' });
        throw new PeerChannelError(`unexpected heartbeat answer (HTTP ${answer.status})`, 'malformed');
      }
      const receivedAtMs = ctx.now();
      const clockSkewMs = estimateClockSkewMs(sentAtMs, parsed.value.timeMs, receivedAtMs);
      ctx.registry.touch(peerId, receivedAtMs, clockSkewMs);
      this.heartbeatFailures.delete(peerId);
      if (Math.abs(clockSkewMs) > ctx.config.syncMaxClockSkewMs) this.dropForClockSkew(peerId, clockSkewMs);
      return true;
    } catch (error) {
      if (this.stopped) return false;
      ctx.metrics.heartbeatFailures.inc();
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof PeerChannelError ? error.code : 'error';
      const failures = (this.heartbeatFailures.get(peerId) ?? 0) + 1;
      this.heartbeatFailures.set(peerId, failures);
      // A timeout may be one lost packet; a refused connection or a forgotten session is final.
      if (!DEFINITE_FAILURES.has(code) && failures < HEARTBEAT_FAILURES_BEFORE_DISCONNECT) return false;
      const reason =
        code === 'unknown-session'
          ? 'the peer no longer knows our session (it restarted?): handshaking again'
          : message;
      ctx.logger.info({ peerId, code, error: message }, 'peer disconnected');
      ctx.registry.disconnect(peerId, reason, ctx.now());
      // Keep the sessions after a network failure (the peer may still reach us); drop them when they are dead.
      if (SESSION_ENDING_FAILURES.has(code)) ctx.sessions.dropPeer(peerId);
      return false;
    }
  }

  /** A clock that drifted away after the handshake: refuse the peer until its clock is fixed (the redial says so too). */
  private dropForClockSkew(peerId: string, clockSkewMs: number): void {
    const { ctx } = this;
    const node = ctx.registry.nodes.get(peerId);
    if (!node) return;
    const message =
      `the clock of ${node.identity.name} at ${node.address} drifted to about ${clockSkewMs} ms from this node's ` +
      `(SYNC_MAX_CLOCK_SKEW_MS is ${ctx.config.syncMaxClockSkewMs}); run NTP (chrony or systemd-timesyncd) on every server`;
    ctx.logger.warn({ peerId, clockSkewMs }, message);
    ctx.registry.disconnect(peerId, message, ctx.now());
    ctx.sessions.dropPeer(peerId);
    ctx.registry.recordRefusal({
      address: node.address,
      refusal: { reason: 'clock-skew', message },
      side: 'refused-by-this-node',
      peer: node.identity,
      nowMs: ctx.now(),
      outbound: true,
    });
  }

  /** Whether the peer answers right now (one short heartbeat). */
  async probeAlive(peerId: string): Promise<boolean> {
    try {
      return (await this.sendHeartbeat(peerId, this.ctx.now(), PROBE_TIMEOUT_MS)).status === 200;
    } catch {
      return false;
    }
  }

  private sendHeartbeat(peerId: string, sentAtMs: number, timeoutMs: number) {
    return signedRequest(this.ctx, peerId, { method: 'POST', path: PATHS.heartbeat, json: { sentAtMs }, timeoutMs });
  }

  /** The goodbye of a peer that is shutting down. */
  peerSaidGoodbye(peerId: string): void {
    this.ctx.registry.disconnect(peerId, 'the peer stopped (said goodbye)', this.ctx.now(), AFTER_GOODBYE_RETRY_MS);
    this.ctx.sessions.dropPeer(peerId);
  }

  /** Stops dialling and heartbeats; returns after telling connected peers goodbye (bounded wait). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    if (this.dialTimer) clearTimeout(this.dialTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
  }

  async sayGoodbye(): Promise<void> {
    const peers = this.ctx.registry.connectedNodes();
    await Promise.allSettled(
      peers.map((peer) =>
        signedRequest(this.ctx, peer.identity.id, {
          method: 'POST',
          path: PATHS.goodbye,
          json: { reason: 'shutting down' },
          timeoutMs: GOODBYE_TIMEOUT_MS,
        }),
      ),
    );
  }
}
