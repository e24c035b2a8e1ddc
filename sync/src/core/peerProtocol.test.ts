import { confirmSchema, helloSchema, parseMessage } from './peerProtocol';

const hello = {
  v: 1,
  initiator: { id: '0123456789abcdef', name: 'server-1', instanceId: 'ab'.repeat(16), startedAt: 1, port: 8765 },
  nonce: 'cd'.repeat(32),
  timestampMs: 2,
  config: { fingerprints: { NEXTAUTH_SECRET: 'ef'.repeat(16) }, previousSessionSecrets: [], publicValues: {} },
  tlsCertSha256: null,
};

describe('protocol validation', () => {
  it('accepts a well-formed hello', () => {
    expect(parseMessage(helloSchema, hello)).toEqual({ ok: true, value: hello });
  });

  it('drops a message with unknown fields', () => {
    expect(parseMessage(helloSchema, { ...hello, extra: 1 }).ok).toBe(false);
  });

  it('names the offending field but never repeats its value', () => {
    const secretish = 'SUPER-SECRET-VALUE';
    const result = parseMessage(helloSchema, { ...hello, nonce: secretish });
    expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('nonce') });
    expect(JSON.stringify(result)).not.toContain(secretish);
  });

  it('bounds how many fingerprints a peer may send', () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`VAR_${i}`, 'ef'.repeat(16)]));
    expect(parseMessage(helloSchema, { ...hello, config: { ...hello.config, fingerprints: many } }).ok).toBe(false);
  });

  it('refuses uppercase hex, wrong lengths and non-objects', () => {
    expect(
      parseMessage(confirmSchema, { v: 1, handshakeId: 'AB'.repeat(16), proof: 'ab'.repeat(32), refusal: null }).ok,
    ).toBe(false);
    expect(
      parseMessage(confirmSchema, { v: 1, handshakeId: 'ab'.repeat(15), proof: 'ab'.repeat(32), refusal: null }).ok,
    ).toBe(false);
    expect(parseMessage(confirmSchema, 'hello').ok).toBe(false);
    expect(parseMessage(confirmSchema, undefined).ok).toBe(false);
  });
});
