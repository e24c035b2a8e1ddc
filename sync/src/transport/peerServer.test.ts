import { mustAuthenticate } from './peerServer';

describe('mustAuthenticate', () => {
  it('answers /status to loopback clients without credentials, and requires a signature from anyone else', () => {
    expect(mustAuthenticate('loopback-or-peer', '127.0.0.1', false)).toBe(false);
    expect(mustAuthenticate('loopback-or-peer', '::1', false)).toBe(false);
    expect(mustAuthenticate('loopback-or-peer', '192.168.1.101', false)).toBe(true);
    expect(mustAuthenticate('loopback-or-peer', '::ffff:10.0.0.2', false)).toBe(true);
  });

  it('checks credentials whenever a request carries them, even from loopback', () => {
    expect(mustAuthenticate('loopback-or-peer', '127.0.0.1', true)).toBe(true);
  });

  it('always requires a signature on peer routes and never on open ones', () => {
    expect(mustAuthenticate('peer', '127.0.0.1', false)).toBe(true);
    expect(mustAuthenticate('open', '192.168.1.101', true)).toBe(false);
  });
});
