import { deriveClusterKeys } from './clusterKeys';
import type { ConfigFingerprints } from './configFingerprints';
import {
  type HelloMessage,
  type NodeIdentity,
  answerHello,
  checkAnswer,
  checkConfirm,
  createConfirm,
  createHello,
  deriveSessionKeys,
  estimateClockSkewMs,
} from './handshake';

const KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const OTHER_KEY = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const config: ConfigFingerprints = {
  fingerprints: { NEXTAUTH_SECRET: 'ab'.repeat(16) },
  previousSessionSecrets: [],
  publicValues: { NEXTAUTH_URL: 'https://x.example' },
};
const alice: NodeIdentity = {
  id: 'aaaaaaaaaaaaaaaa',
  name: 'alice',
  instanceId: '11'.repeat(16),
  startedAt: 1_000,
  port: 8765,
};
const bob: NodeIdentity = {
  id: 'bbbbbbbbbbbbbbbb',
  name: 'bob',
  instanceId: '22'.repeat(16),
  startedAt: 2_000,
  port: 8765,
};
const nonce = (c: string) => c.repeat(64);

function run(
  initiatorKey = KEY,
  responderKey = KEY,
  hello: HelloMessage = createHello({ self: alice, config, nonce: nonce('1'), nowMs: 5_000, tlsCertSha256: null }),
) {
  const iKeys = deriveClusterKeys(initiatorKey);
  const rKeys = deriveClusterKeys(responderKey);
  const { answer, transcript } = answerHello({
    keys: rKeys,
    hello,
    self: bob,
    config,
    handshakeId: 'cd'.repeat(16),
    nonce: nonce('2'),
    nowMs: 5_010,
    tlsCertSha256: null,
  });
  const check = checkAnswer({ keys: iKeys, hello, answer, observedTlsCertSha256: null });
  return { iKeys, rKeys, hello, answer, responderTranscript: transcript, check };
}

describe('handshake', () => {
  it('succeeds both ways when both sides hold the same registration key, and both derive the same session keys', () => {
    const { iKeys, rKeys, answer, responderTranscript, check } = run();
    expect(check.ok).toBe(true);
    const confirm = createConfirm(iKeys, answer.handshakeId, check.transcript, null);
    expect(checkConfirm({ keys: rKeys, transcript: responderTranscript, confirm, issuedProof: answer.proof })).toEqual({
      ok: true,
    });
    const initiatorSession = deriveSessionKeys(iKeys, check.transcript);
    const responderSession = deriveSessionKeys(rKeys, responderTranscript);
    expect(initiatorSession.initiatorToResponder.equals(responderSession.initiatorToResponder)).toBe(true);
    expect(initiatorSession.initiatorToResponder.equals(initiatorSession.responderToInitiator)).toBe(false);
  });

  it('fails on both sides when the registration keys differ', () => {
    const { iKeys, rKeys, answer, responderTranscript, check } = run(KEY, OTHER_KEY);
    expect(check).toMatchObject({ ok: false, reason: 'registration-key-differs' });
    const confirm = createConfirm(iKeys, answer.handshakeId, check.transcript, null);
    expect(checkConfirm({ keys: rKeys, transcript: responderTranscript, confirm, issuedProof: answer.proof })).toEqual({
      ok: false,
      reason: 'registration-key-differs',
    });
  });

  it("refuses the responder's own proof reflected back as the initiator's", () => {
    const { rKeys, answer, responderTranscript } = run();
    const reflected = { v: 1, handshakeId: answer.handshakeId, proof: answer.proof, refusal: null };
    expect(
      checkConfirm({ keys: rKeys, transcript: responderTranscript, confirm: reflected, issuedProof: answer.proof }),
    ).toEqual({ ok: false, reason: 'reflected' });
  });

  it('refuses an answer recorded for another hello (its proof does not cover the new nonce)', () => {
    const { answer: oldAnswer, iKeys } = run();
    const newHello = createHello({ self: alice, config, nonce: nonce('3'), nowMs: 6_000, tlsCertSha256: null });
    expect(checkAnswer({ keys: iKeys, hello: newHello, answer: oldAnswer, observedTlsCertSha256: null }).ok).toBe(
      false,
    );
  });

  it.each([
    ['the responder ID', (a: Record<string, unknown>) => ({ ...a, responder: { ...bob, id: 'cccccccccccccccc' } })],
    ['the responder start time', (a: Record<string, unknown>) => ({ ...a, responder: { ...bob, startedAt: 1 } })],
    ['the responder timestamp', (a: Record<string, unknown>) => ({ ...a, timestampMs: 1 })],
    [
      'the fingerprints',
      (a: Record<string, unknown>) => ({
        ...a,
        config: { ...config, fingerprints: { NEXTAUTH_SECRET: 'cd'.repeat(16) } },
      }),
    ],
  ])('refuses an answer whose %s was changed on the way', (_what, tamper) => {
    const { iKeys, hello, answer } = run();
    const tampered = tamper(answer as unknown as Record<string, unknown>) as unknown as typeof answer;
    expect(checkAnswer({ keys: iKeys, hello, answer: tampered, observedTlsCertSha256: null })).toMatchObject({
      ok: false,
      reason: 'registration-key-differs',
    });
  });

  it('refuses an answer whose TLS certificate is not the one the initiator saw', () => {
    const { iKeys, hello, answer } = run();
    expect(checkAnswer({ keys: iKeys, hello, answer, observedTlsCertSha256: 'ee'.repeat(32) })).toMatchObject({
      ok: false,
      reason: 'tls-certificate-mismatch',
    });
  });

  it("binds the initiator's refusal reason into its proof", () => {
    const { iKeys, rKeys, answer, responderTranscript, check } = run();
    const confirm = createConfirm(iKeys, answer.handshakeId, check.transcript, {
      reason: 'duplicate-node-id',
      message: 'dup',
    });
    expect(checkConfirm({ keys: rKeys, transcript: responderTranscript, confirm, issuedProof: answer.proof }).ok).toBe(
      true,
    );
    const altered = { ...confirm, refusal: null };
    expect(
      checkConfirm({ keys: rKeys, transcript: responderTranscript, confirm: altered, issuedProof: answer.proof }).ok,
    ).toBe(false);
  });

  it("binds the initiator's own TLS certificate into the transcript", () => {
    const withCert = createHello({
      self: alice,
      config,
      nonce: nonce('1'),
      nowMs: 5_000,
      tlsCertSha256: 'aa'.repeat(32),
    });
    const { check: plain } = run();
    const { check: pinned } = run(KEY, KEY, withCert);
    expect(pinned.transcript).not.toBe(plain.transcript);
  });
});

describe('estimateClockSkewMs', () => {
  it('assumes the peer read its clock halfway through the round trip', () => {
    expect(estimateClockSkewMs(1_000, 1_050, 1_100)).toBe(0);
    expect(estimateClockSkewMs(1_000, 6_050, 1_100)).toBe(5_000);
    expect(estimateClockSkewMs(1_000, 50, 1_100)).toBe(-1_000);
  });
});
