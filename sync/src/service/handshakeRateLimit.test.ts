import { HANDSHAKE_BURST_PER_ADDRESS, MAX_RATE_LIMITED_ADDRESSES } from '../core/limits';
import type { Route, RouteRequest } from '../transport/peerServer';
import { rateLimitPerAddress } from './handshakeRateLimit';
import type { ServiceContext } from './serviceContext';

function setup() {
  const rejected: string[] = [];
  const ctx = {
    now: () => 1_000_000, // the clock stands still: nothing refills during the test
    metrics: { rejectedRequests: { inc: ({ reason }: { reason: string }) => rejected.push(reason) } },
    logger: { warn: () => undefined },
  } as unknown as Pick<ServiceContext, 'metrics' | 'logger' | 'now'>;
  const hello: Route = {
    method: 'POST',
    path: '/sync/v1/handshake/hello',
    access: 'open',
    handle: () => ({ status: 200, json: {} }),
  };
  const [limited] = rateLimitPerAddress(ctx, [hello]) as [Route];
  const send = (remoteIp: string) => (limited.handle({ remoteIp } as RouteRequest) as { status: number }).status;
  return { send, rejected };
}

describe('the handshake rate limit per address', () => {
  it('is not reset by a flood of more addresses than it tracks', () => {
    const { send } = setup();
    const flooder = '127.0.13.21';
    for (let i = 0; i < HANDSHAKE_BURST_PER_ADDRESS; i++) expect(send(flooder)).toBe(200);
    expect(send(flooder)).toBe(429);
    for (let i = 0; i < MAX_RATE_LIMITED_ADDRESSES + 1_000; i++)
      send(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(send(flooder)).toBe(429);
  });

  it('gives the addresses beyond what it tracks one allowance between them', () => {
    const { send } = setup();
    for (let i = 0; i < MAX_RATE_LIMITED_ADDRESSES; i++) send(`10.0.${(i >> 8) & 255}.${i & 255}`);
    const newcomers = Array.from({ length: 100 }, (_, i) => send(`10.1.0.${i}`));
    expect(newcomers.filter((status) => status === 200)).toHaveLength(HANDSHAKE_BURST_PER_ADDRESS);
  });

  it('counts an IPv6 /64 as one address', () => {
    const { send } = setup();
    const statuses = Array.from({ length: HANDSHAKE_BURST_PER_ADDRESS + 1 }, (_, i) =>
      send(`2001:db8:0:1::${(i + 1).toString(16)}`),
    );
    expect(statuses.at(-1)).toBe(429);
    expect(send('2001:db8:0:2::1')).toBe(200);
  });
});
