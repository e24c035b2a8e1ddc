import { signRequest, signResponse, verifyRequest, verifyResponse } from './requestSignature';

const key = Buffer.alloc(32, 7);
const request = {
  method: 'POST',
  path: '/sync/v1/heartbeat',
  body: Buffer.from('{"sentAtMs":1}'),
  timestampMs: 1_000,
  nonce: 'ab'.repeat(32),
  senderId: 'aaaaaaaaaaaaaaaa',
  receiverId: 'bbbbbbbbbbbbbbbb',
};

describe('request signatures', () => {
  it('verify for the exact request that was signed', () => {
    expect(verifyRequest(key, request, signRequest(key, request))).toBe(true);
  });

  it.each([
    ['method', { method: 'GET' }],
    ['path', { path: '/status' }],
    ['body', { body: Buffer.from('{"sentAtMs":2}') }],
    ['timestamp', { timestampMs: 1_001 }],
    ['nonce', { nonce: 'cd'.repeat(32) }],
    ['sender', { senderId: 'cccccccccccccccc' }],
    ['receiver (a request reflected to its sender)', { receiverId: 'aaaaaaaaaaaaaaaa' }],
  ])('fail when the %s differs', (_what, change) => {
    expect(verifyRequest(key, { ...request, ...change }, signRequest(key, request))).toBe(false);
  });

  it('fail with another session key', () => {
    expect(verifyRequest(Buffer.alloc(32, 8), request, signRequest(key, request))).toBe(false);
  });
});

describe('response signatures', () => {
  const response = {
    status: 200,
    body: Buffer.from('{}'),
    requestNonce: 'ab'.repeat(32),
    senderId: 'b'.repeat(16),
    receiverId: 'a'.repeat(16),
  };

  it('bind the answer to the request nonce and status', () => {
    const signature = signResponse(key, response);
    expect(verifyResponse(key, response, signature)).toBe(true);
    expect(verifyResponse(key, { ...response, requestNonce: 'cd'.repeat(32) }, signature)).toBe(false);
    expect(verifyResponse(key, { ...response, status: 500 }, signature)).toBe(false);
  });
});
