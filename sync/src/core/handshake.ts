/**
 * Handshake math: mutual challenge-response proving both sides hold the registration key without sending it.
 *
 *   initiator → responder   hello   {initiator identity, nonceI, timeI, config fingerprints}
 *   responder → initiator   answer  {handshakeId, responder identity, nonceR, timeR, fingerprints, TLS cert, proofR}
 *   initiator → responder   confirm {handshakeId, proofI, refusal?}
 *
 * transcript = SHA-256 over every field of hello and answer (both node IDs, both instance IDs, both nonces, both
 * timestamps, both fingerprint sets, the responder's TLS certificate fingerprint as the initiator saw it).
 * proofR = HMAC(K_handshake, "responder->initiator", transcript)
 * proofI = HMAC(K_handshake, "initiator->responder", transcript, refusal reason)
 * The direction label stops a proof from being reflected back; the nonces stop replays; the certificate
 * fingerprint binds the handshake to the TLS channel. Session keys (one per direction) are derived from the
 * transcript with HKDF, so every later request is tied to this handshake.
 * Pure: nonces, handshake IDs and time come in as parameters.
 */
import { createHash } from 'node:crypto';
import { type ClusterKeys, hkdf, macHex, sameHex } from './clusterKeys';
import type { ConfigFingerprints } from './configFingerprints';
import { type Field, encodeFields } from './encoding';
import { PROTOCOL_VERSION } from './limits';
import type { Refusal, RefusalReason } from './refusal';

export interface NodeIdentity {
  readonly id: string;
  readonly name: string;
  /** Random per process start: tells "myself" from "another node with my ID". */
  readonly instanceId: string;
  readonly startedAt: number;
  /** The sync port the node listens on (its address is host:port). */
  readonly port: number;
}

export interface HelloMessage {
  readonly v: number;
  readonly initiator: NodeIdentity;
  readonly nonce: string;
  readonly timestampMs: number;
  readonly config: ConfigFingerprints;
  /** SHA-256 of the initiator's own TLS certificate (so the responder can pin it when it calls back), or null. */
  readonly tlsCertSha256: string | null;
}

export interface HelloAnswer {
  readonly v: number;
  readonly handshakeId: string;
  readonly responder: NodeIdentity;
  readonly nonce: string;
  readonly timestampMs: number;
  readonly config: ConfigFingerprints;
  /** SHA-256 of the responder's TLS certificate (lowercase hex), null on plain HTTP. */
  readonly tlsCertSha256: string | null;
  readonly proof: string;
}

export interface ConfirmMessage {
  readonly v: number;
  readonly handshakeId: string;
  readonly proof: string;
  /** Set when the initiator refuses the responder (after checking its proof); authenticated by the proof. */
  readonly refusal: Refusal | null;
}

export interface SessionKeys {
  readonly initiatorToResponder: Buffer;
  readonly responderToInitiator: Buffer;
}

const LABEL = 'msk-sync/v1 handshake';

function identityFields(node: NodeIdentity): Field[] {
  return [node.id, node.name, node.instanceId, node.startedAt, node.port];
}

function configFields(config: ConfigFingerprints): Field[] {
  const fp = Object.entries(config.fingerprints).sort(([a], [b]) => (a < b ? -1 : 1));
  const pub = Object.entries(config.publicValues).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    fp.length,
    ...fp.flat(),
    config.previousSessionSecrets.length,
    ...config.previousSessionSecrets,
    pub.length,
    ...pub.flat(),
  ];
}

export function transcriptHash(hello: HelloMessage, answer: Omit<HelloAnswer, 'proof'>): string {
  const fields: Field[] = [
    LABEL,
    'hello',
    hello.v,
    ...identityFields(hello.initiator),
    hello.nonce,
    hello.timestampMs,
    ...configFields(hello.config),
    hello.tlsCertSha256,
    'answer',
    answer.v,
    answer.handshakeId,
    ...identityFields(answer.responder),
    answer.nonce,
    answer.timestampMs,
    ...configFields(answer.config),
    answer.tlsCertSha256,
  ];
  return createHash('sha256').update(encodeFields(fields)).digest('hex');
}

export function responderProof(keys: ClusterKeys, transcript: string): string {
  return macHex(keys.handshake, [LABEL, 'responder->initiator', transcript]);
}

export function initiatorProof(keys: ClusterKeys, transcript: string, refusalReason: RefusalReason | null): string {
  return macHex(keys.handshake, [LABEL, 'initiator->responder', transcript, refusalReason]);
}

export function deriveSessionKeys(keys: ClusterKeys, transcript: string): SessionKeys {
  const secret = hkdf(keys.session, Buffer.from(transcript, 'hex'), 'msk-sync/v1 session');
  return {
    initiatorToResponder: hkdf(secret, 'msk-sync/v1 request keys', 'initiator->responder'),
    responderToInitiator: hkdf(secret, 'msk-sync/v1 request keys', 'responder->initiator'),
  };
}

export function createHello(input: {
  self: NodeIdentity;
  config: ConfigFingerprints;
  nonce: string;
  nowMs: number;
  tlsCertSha256: string | null;
}): HelloMessage {
  return {
    v: PROTOCOL_VERSION,
    initiator: input.self,
    nonce: input.nonce,
    timestampMs: input.nowMs,
    config: input.config,
    tlsCertSha256: input.tlsCertSha256,
  };
}

export function answerHello(input: {
  keys: ClusterKeys;
  hello: HelloMessage;
  self: NodeIdentity;
  config: ConfigFingerprints;
  handshakeId: string;
  nonce: string;
  nowMs: number;
  tlsCertSha256: string | null;
}): { answer: HelloAnswer; transcript: string } {
  const unsigned: Omit<HelloAnswer, 'proof'> = {
    v: PROTOCOL_VERSION,
    handshakeId: input.handshakeId,
    responder: input.self,
    nonce: input.nonce,
    timestampMs: input.nowMs,
    config: input.config,
    tlsCertSha256: input.tlsCertSha256,
  };
  const transcript = transcriptHash(input.hello, unsigned);
  return { answer: { ...unsigned, proof: responderProof(input.keys, transcript) }, transcript };
}

export type AnswerCheck =
  | { readonly ok: true; readonly transcript: string }
  | { readonly ok: false; readonly reason: RefusalReason; readonly transcript: string };

/**
 * The initiator's check of the responder's answer. The transcript uses the certificate the initiator actually saw,
 * so an interceptor with its own certificate fails here even if it relays a genuine answer.
 */
export function checkAnswer(input: {
  keys: ClusterKeys;
  hello: HelloMessage;
  answer: HelloAnswer;
  observedTlsCertSha256: string | null;
}): AnswerCheck {
  const { proof, ...rest } = input.answer;
  const transcript = transcriptHash(input.hello, { ...rest, tlsCertSha256: input.observedTlsCertSha256 });
  if (input.answer.tlsCertSha256 !== input.observedTlsCertSha256) {
    return { ok: false, reason: 'tls-certificate-mismatch', transcript };
  }
  if (!sameHex(proof, responderProof(input.keys, transcript))) {
    return { ok: false, reason: 'registration-key-differs', transcript };
  }
  return { ok: true, transcript };
}

export function createConfirm(
  keys: ClusterKeys,
  handshakeId: string,
  transcript: string,
  refusal: Refusal | null,
): ConfirmMessage {
  return {
    v: PROTOCOL_VERSION,
    handshakeId,
    proof: initiatorProof(keys, transcript, refusal?.reason ?? null),
    refusal,
  };
}

export type ConfirmCheck =
  { readonly ok: true } | { readonly ok: false; readonly reason: 'reflected' | 'registration-key-differs' };

/** The responder's check of the initiator's proof; `issuedProof` is the responder's own proof from its answer. */
export function checkConfirm(input: {
  keys: ClusterKeys;
  transcript: string;
  confirm: ConfirmMessage;
  issuedProof: string;
}): ConfirmCheck {
  if (sameHex(input.confirm.proof, input.issuedProof)) return { ok: false, reason: 'reflected' };
  const expected = initiatorProof(input.keys, input.transcript, input.confirm.refusal?.reason ?? null);
  if (!sameHex(input.confirm.proof, expected)) return { ok: false, reason: 'registration-key-differs' };
  return { ok: true };
}

/**
 * Offset of the peer's clock from ours (positive: the peer is ahead), from one request/response round trip:
 * the peer's timestamp is assumed to be taken halfway between our send and receive times (NTP's estimate).
 */
export function estimateClockSkewMs(sentAtMs: number, peerTimeMs: number, receivedAtMs: number): number {
  return Math.round(peerTimeMs - (sentAtMs + receivedAtMs) / 2);
}
