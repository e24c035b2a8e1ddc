import { describeConnectionError } from './peerClient';

const error = (code: string) => Object.assign(new Error(code), { code });

describe('describeConnectionError', () => {
  it.each([
    ['ECONNREFUSED', false, /connection refused at 10\.0\.0\.2:8765: no sync service listens there/],
    ['TIMEOUT', false, /a firewall may drop TCP to the sync port/],
    [
      'ECONNRESET',
      false,
      /if that node uses TLS on its sync port \(SYNC_TLS=on, the default\), remove SYNC_TLS=off on this node too/,
    ],
    ['EPROTO', true, /does not speak TLS: SYNC_TLS must be the same on every node/],
    ['ENOTFOUND', false, /does not resolve/],
    [
      'TLS_CERTIFICATE_MISMATCH',
      true,
      /presented a TLS certificate other than the one its handshake proved .*nothing was sent/,
    ],
  ])('turns %s into a sentence an operator can act on', (code, tls, expected) => {
    expect(describeConnectionError(error(code), '10.0.0.2:8765', tls).message).toMatch(expected);
  });
});
