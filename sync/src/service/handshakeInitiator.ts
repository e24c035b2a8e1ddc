/** The initiator side of the handshake: dial an address proposed by discovery and try to authenticate the node there. */
import { checkAnswer, createConfirm, createHello, estimateClockSkewMs } from '../core/handshake';
import { HANDSHAKE_BODY_LIMIT_BYTES, NONCE_BYTES } from '../core/limits';
import { PATHS, confirmAnswerSchema, helloAnswerSchema, parseMessage, refusalAnswerSchema } from '../core/peerProtocol';
import type { Refusal } from '../core/refusal';
import { PeerRequestError, type PeerResponse } from '../transport/peerClient';
import { type ProbeAlive, judgeWithProbe, openSession } from './admissionFlow';
import { HANDSHAKE_REQUEST_TIMEOUT_MS, type ServiceContext } from './serviceContext';

export type HandshakeOutcome = 'connected' | 'self' | 'refused' | 'failed';

function jsonOf(response: PeerResponse): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `pinnedCertSha256`: the confirm goes only to the server that answered the hello (its certificate, on TLS). */
async function post(
  ctx: ServiceContext,
  address: string,
  path: string,
  json: unknown,
  pinnedCertSha256?: string | null,
): Promise<PeerResponse> {
  const body = Buffer.from(JSON.stringify(json), 'utf8');
  if (body.length > HANDSHAKE_BODY_LIMIT_BYTES) throw new Error('handshake message too large');
  return ctx.client.request({
    address,
    method: 'POST',
    path,
    body,
    timeoutMs: HANDSHAKE_REQUEST_TIMEOUT_MS,
    ...(pinnedCertSha256 ? { pinnedCertSha256 } : {}),
  });
}

export async function initiateHandshake(
  ctx: ServiceContext,
  probeAlive: ProbeAlive,
  address: string,
): Promise<HandshakeOutcome> {
  const { registry, metrics, logger } = ctx;
  const count = (result: string) => metrics.handshakes.inc({ role: 'initiator', result });
  const failed = (message: string): HandshakeOutcome => {
    count('failed');
    registry.attemptFailed(address, message, ctx.now());
    logger.debug({ address, error: message }, 'handshake attempt failed');
    return 'failed';
  };
  const refusedByPeer = (
    refusal: Refusal,
    peer?: Parameters<typeof registry.recordRefusal>[0]['peer'],
  ): HandshakeOutcome => {
    count(`refused-by-peer:${refusal.reason}`);
    registry.recordRefusal({
      address,
      refusal,
      side: 'refused-by-peer',
      ...(peer ? { peer } : {}),
      nowMs: ctx.now(),
      outbound: true,
    });
    logger.warn({ address, reason: refusal.reason }, `refused by the peer: ${refusal.message}`);
    return 'refused';
  };

  registry.attemptStarted(address, ctx.now());
  const hello = createHello({
    self: ctx.self,
    config: ctx.selfConfig,
    nonce: ctx.randomHex(NONCE_BYTES),
    nowMs: ctx.now(),
    tlsCertSha256: ctx.tls?.certSha256 ?? null,
  });
  const sentAtMs = ctx.now();
  let response: PeerResponse;
  try {
    response = await post(ctx, address, PATHS.hello, hello);
  } catch (error) {
    return failed(error instanceof PeerRequestError ? error.message : String(error));
  }
  const receivedAtMs = ctx.now();
  const body = jsonOf(response);
  if (response.status !== 200) {
    const refusal = parseMessage(refusalAnswerSchema, body);
    if (!refusal.ok)
      return failed(`${address} answered HTTP ${response.status} to the hello: is it a sync service of this kit?`);
    if (refusal.value.self) {
      registry.markSelf(address);
      logger.debug({ address }, 'address is this node itself');
      return 'self';
    }
    return refusedByPeer(refusal.value.refused);
  }
  const parsed = parseMessage(helloAnswerSchema, body);
  if (!parsed.ok) {
    metrics.droppedMessages.inc({ reason: 'malformed', source: 'hello-answer' });
    return failed(`malformed hello answer from ${address}: ${parsed.problem}`);
  }
  const answer = parsed.value;
  const peer = answer.responder;
  const check = checkAnswer({ keys: ctx.keys, hello, answer, observedTlsCertSha256: response.tlsCertSha256 });
  const confirmWith = async (refusal: Refusal | null): Promise<PeerResponse | undefined> => {
    try {
      return await post(
        ctx,
        address,
        PATHS.confirm,
        createConfirm(ctx.keys, answer.handshakeId, check.transcript, refusal),
        response.tlsCertSha256,
      );
    } catch (error) {
      logger.debug({ address, error: String(error) }, 'confirm failed');
      return undefined;
    }
  };
  const refuse = async (refusal: Refusal, thisNodeIsSecond?: boolean): Promise<HandshakeOutcome> => {
    count(refusal.reason);
    registry.recordRefusal({
      address,
      refusal,
      side: 'refused-by-this-node',
      peer,
      nowMs: ctx.now(),
      outbound: true,
      ...(thisNodeIsSecond !== undefined ? { thisNodeIsSecond } : {}),
    });
    logger.warn(
      { peer: { id: peer.id, name: peer.name, address }, reason: refusal.reason },
      `refused a peer: ${refusal.message}`,
    );
    // Still send our proof (and the reason) so the peer can judge and report it too.
    await confirmWith(refusal);
    return 'refused';
  };

  if (!check.ok) {
    if (check.reason === 'tls-certificate-mismatch') {
      return refuse({
        reason: 'tls-certificate-mismatch',
        message: `the TLS certificate presented at ${address} is not the one ${peer.name} reports: something intercepts TLS on the way`,
      });
    }
    return refuse({
      reason: 'registration-key-differs',
      message:
        `${peer.name} at ${address} could not prove it holds this cluster's SYNC_REGISTRATION_KEY: ` +
        'the registration key differs (compare fingerprints with `npm run doctor`)',
    });
  }
  const clockSkewMs = estimateClockSkewMs(sentAtMs, answer.timestampMs, receivedAtMs);
  const decision = await judgeWithProbe(ctx, probeAlive, { identity: peer, address, clockSkewMs });
  if (decision.action === 'refuse') return refuse(decision.refusal, decision.thisNodeIsSecond);

  const confirmResponse = await confirmWith(null);
  if (!confirmResponse) return failed(`${address} did not answer the handshake confirmation`);
  const confirmBody = jsonOf(confirmResponse);
  if (confirmResponse.status !== 200) {
    const refusal = parseMessage(refusalAnswerSchema, confirmBody);
    if (!refusal.ok) return failed(`${address} answered HTTP ${confirmResponse.status} to the confirmation`);
    return refusedByPeer(refusal.value.refused, peer);
  }
  if (!parseMessage(confirmAnswerSchema, confirmBody).ok) {
    metrics.droppedMessages.inc({ reason: 'malformed', source: 'confirm-answer' });
    return failed(`malformed confirmation answer from ${address}`);
  }
  openSession(ctx, decision, {
    handshakeId: answer.handshakeId,
    peer,
    role: 'initiator',
    transcript: check.transcript,
    peerTlsCertSha256: response.tlsCertSha256,
  });
  registry.admit({ identity: peer, address, config: answer.config, clockSkewMs, nowMs: ctx.now(), inbound: false });
  count('accepted');
  metrics.handshakeSeconds.observe({ role: 'initiator' }, (ctx.now() - sentAtMs) / 1000);
  logger.info(
    { peer: { id: peer.id, name: peer.name, address }, clockSkewMs, peersConnected: registry.connectedNodes().length },
    'peer authenticated (outbound)',
  );
  return 'connected';
}
