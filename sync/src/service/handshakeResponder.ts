/** The responder side of the handshake: the hello and confirm routes. */
import { startedLater } from '../core/admission';
import { answerHello, checkConfirm, type HelloMessage } from '../core/handshake';
import {
  HANDSHAKE_BODY_LIMIT_BYTES,
  HANDSHAKE_TIMEOUT_MS,
  MAX_PENDING_HANDSHAKES,
  MAX_REMEMBERED_NONCES,
  NONCE_BYTES,
  PROTOCOL_VERSION,
  REQUEST_DELAY_ALLOWANCE_MS,
} from '../core/limits';
import { formatPeerAddress } from '../core/peerAddress';
import { PATHS, confirmSchema, helloSchema, parseMessage } from '../core/peerProtocol';
import { REFUSAL_SUMMARY, type Refusal } from '../core/refusal';
import { ReplayWindow } from '../core/replayWindow';
import type { Route, RouteResponse } from '../transport/peerServer';
import { type ProbeAlive, judgeWithProbe, openSession } from './admissionFlow';
import type { ServiceContext } from './serviceContext';

interface PendingHandshake {
  readonly hello: HelloMessage;
  readonly transcript: string;
  readonly issuedProof: string;
  readonly address: string;
  readonly receivedAtMs: number;
}

function refused(status: number, refusal: Refusal, extra: Record<string, unknown> = {}): RouteResponse {
  return { status, json: { refused: refusal, ...extra } };
}

export function createHandshakeRoutes(ctx: ServiceContext, probeAlive: ProbeAlive): Route[] {
  const pending = new Map<string, PendingHandshake>();
  const windowMs = ctx.config.syncMaxClockSkewMs + REQUEST_DELAY_ALLOWANCE_MS;
  const helloNonces = new ReplayWindow(windowMs, MAX_REMEMBERED_NONCES);
  const usedHandshakes = new ReplayWindow(HANDSHAKE_TIMEOUT_MS * 6, MAX_REMEMBERED_NONCES);
  const { metrics, logger, registry } = ctx;

  const dropExpired = (nowMs: number) => {
    for (const [id, p] of pending) if (nowMs - p.receivedAtMs > HANDSHAKE_TIMEOUT_MS) pending.delete(id);
    while (pending.size >= MAX_PENDING_HANDSHAKES) pending.delete(pending.keys().next().value as string);
  };

  const count = (result: string) => metrics.handshakes.inc({ role: 'responder', result });

  const hello: Route = {
    method: 'POST',
    path: PATHS.hello,
    access: 'open',
    maxBodyBytes: HANDSHAKE_BODY_LIMIT_BYTES,
    handle(request) {
      const nowMs = ctx.now();
      const parsed = parseMessage(helloSchema, request.json);
      if (!parsed.ok) {
        metrics.droppedMessages.inc({ reason: 'malformed', source: 'hello' });
        logger.debug({ remote: request.remoteIp, problem: parsed.problem }, 'dropped a malformed hello');
        return refused(400, { reason: 'malformed', message: `malformed hello: ${parsed.problem}` });
      }
      const message = parsed.value;
      const address = formatPeerAddress(request.remoteIp, message.initiator.port);
      if (message.v !== PROTOCOL_VERSION) {
        count('protocol-version');
        return refused(409, {
          reason: 'protocol-version',
          message: `${ctx.self.name} speaks sync protocol v${PROTOCOL_VERSION}, ${message.initiator.name} at ${address} speaks v${message.v}: run the same version on every node`,
        });
      }
      if (message.initiator.id === ctx.self.id && message.initiator.instanceId === ctx.self.instanceId) {
        return refused(409, { reason: 'reflected', message: 'this address is the node itself' }, { self: true });
      }
      if (helloNonces.check(message.nonce, message.timestampMs, nowMs) === 'replayed') {
        count('replayed');
        metrics.droppedMessages.inc({ reason: 'replayed', source: 'hello' });
        registry.recordRefusal({
          address,
          refusal: {
            reason: 'replayed',
            message: `a hello already received was sent again from ${request.remoteIp} (replay); ignored`,
          },
          side: 'refused-by-this-node',
          nowMs,
          outbound: false,
        });
        logger.warn({ remote: request.remoteIp, claimedId: message.initiator.id }, 'refused a replayed hello');
        return refused(409, { reason: 'replayed', message: 'this hello was already received' });
      }
      dropExpired(nowMs);
      const handshakeId = ctx.randomHex(16);
      const { answer, transcript } = answerHello({
        keys: ctx.keys,
        hello: message,
        self: ctx.self,
        config: ctx.selfConfig,
        handshakeId,
        nonce: ctx.randomHex(NONCE_BYTES),
        nowMs,
        tlsCertSha256: ctx.tls?.certSha256 ?? null,
      });
      pending.set(handshakeId, { hello: message, transcript, issuedProof: answer.proof, address, receivedAtMs: nowMs });
      return { status: 200, json: answer };
    },
  };

  const confirm: Route = {
    method: 'POST',
    path: PATHS.confirm,
    access: 'open',
    maxBodyBytes: HANDSHAKE_BODY_LIMIT_BYTES,
    async handle(request) {
      const nowMs = ctx.now();
      const parsed = parseMessage(confirmSchema, request.json);
      if (!parsed.ok) {
        metrics.droppedMessages.inc({ reason: 'malformed', source: 'confirm' });
        return refused(400, { reason: 'malformed', message: `malformed confirm: ${parsed.problem}` });
      }
      const message = parsed.value;
      dropExpired(nowMs);
      const started = pending.get(message.handshakeId);
      if (!started) {
        const replay = usedHandshakes.check(message.handshakeId, nowMs, nowMs) === 'replayed';
        const reason = replay ? 'replayed' : 'unknown-handshake';
        count(reason);
        metrics.droppedMessages.inc({ reason, source: 'confirm' });
        const text = replay
          ? `a confirm for a handshake that was already completed arrived from ${request.remoteIp} (replay); ignored`
          : `a confirm for an unknown or expired handshake arrived from ${request.remoteIp}; ignored`;
        registry.recordRefusal({
          address: request.remoteIp,
          refusal: { reason, message: text },
          side: 'refused-by-this-node',
          nowMs,
          outbound: false,
        });
        logger.warn({ remote: request.remoteIp, reason }, 'refused a confirm');
        return refused(403, { reason, message: text });
      }
      pending.delete(message.handshakeId);
      usedHandshakes.check(message.handshakeId, nowMs, nowMs);
      const { hello: helloMessage, address } = started;
      const peer = helloMessage.initiator;
      const check = checkConfirm({
        keys: ctx.keys,
        transcript: started.transcript,
        confirm: message,
        issuedProof: started.issuedProof,
      });
      if (!check.ok) {
        const refusal: Refusal =
          check.reason === 'reflected'
            ? {
                reason: 'reflected',
                message: `${address} sent back this node's own handshake proof (reflection); refused`,
              }
            : message.refusal?.reason === 'tls-certificate-mismatch'
              ? {
                  reason: 'tls-certificate-mismatch',
                  message:
                    `${peer.name} at ${address} saw a TLS certificate that is not this node's: ` +
                    'something intercepts TLS between the two nodes (proof over the certificate does not verify)',
                }
              : {
                  reason: 'registration-key-differs',
                  message:
                    `${peer.name} at ${address} could not prove it holds this cluster's SYNC_REGISTRATION_KEY: ` +
                    'the registration key differs (compare fingerprints with `npm run doctor`)',
                };
        count(refusal.reason);
        registry.recordRefusal({ address, refusal, side: 'refused-by-this-node', peer, nowMs, outbound: false });
        logger.warn(
          { peer: { id: peer.id, name: peer.name, address }, reason: refusal.reason },
          `refused a peer: ${REFUSAL_SUMMARY[refusal.reason]}`,
        );
        return refused(403, refusal);
      }
      if (message.refusal) {
        count(`refused-by-peer:${message.refusal.reason}`);
        registry.recordRefusal({
          address,
          refusal: message.refusal,
          side: 'refused-by-peer',
          peer,
          nowMs,
          outbound: false,
          ...(peer.id === ctx.self.id ? { thisNodeIsSecond: startedLater(ctx.self, peer) } : {}),
        });
        logger.warn(
          { peer: { id: peer.id, name: peer.name, address }, reason: message.refusal.reason },
          `refused by a peer: ${message.refusal.message}`,
        );
        return refused(403, { reason: message.refusal.reason, message: 'refusal received' });
      }
      const clockSkewMs = helloMessage.timestampMs - started.receivedAtMs;
      const decision = await judgeWithProbe(ctx, probeAlive, { identity: peer, address, clockSkewMs });
      if (decision.action === 'refuse') {
        count(decision.refusal.reason);
        registry.recordRefusal({
          address,
          refusal: decision.refusal,
          side: 'refused-by-this-node',
          peer,
          nowMs: ctx.now(),
          outbound: false,
          ...(decision.thisNodeIsSecond !== undefined ? { thisNodeIsSecond: decision.thisNodeIsSecond } : {}),
        });
        logger.warn(
          { peer: { id: peer.id, name: peer.name, address }, reason: decision.refusal.reason },
          `refused a peer: ${decision.refusal.message}`,
        );
        return refused(403, decision.refusal);
      }
      openSession(ctx, decision, {
        handshakeId: message.handshakeId,
        peer,
        role: 'responder',
        transcript: started.transcript,
        peerTlsCertSha256: helloMessage.tlsCertSha256,
      });
      registry.admit({
        identity: peer,
        address,
        config: helloMessage.config,
        clockSkewMs: null,
        nowMs: ctx.now(),
        inbound: true,
      });
      count('accepted');
      metrics.handshakeSeconds.observe({ role: 'responder' }, (ctx.now() - started.receivedAtMs) / 1000);
      logger.info(
        { peer: { id: peer.id, name: peer.name, address }, peersConnected: registry.connectedNodes().length },
        'peer authenticated (inbound)',
      );
      return { status: 200, json: { accepted: true } };
    },
  };

  return [hello, confirm];
}
