/** Clock skew between peers, with each service's clock injected (two services in this process, 127.0.2.72-75). */

import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import type { StartedSyncService } from './syncService';
import { startTestService } from '../testing/testService';

jest.setTimeout(30_000);

const services: StartedSyncService[] = [];
async function pair(ips: [string, string], offsetMs: number): Promise<[StartedSyncService, StartedSyncService]> {
  const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'silent', SYNC_MAX_CLOCK_SKEW_MS: '10000' });
  const a = await startTestService(nodeEnv(shared, { name: 'server-1', ip: ips[0], peers: [`${ips[1]}:8765`] }));
  const b = await startTestService(nodeEnv(shared, { name: 'server-2', ip: ips[1], peers: [`${ips[0]}:8765`] }), {
    now: () => Date.now() + offsetMs,
  });
  services.push(a, b);
  return [a, b];
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
});

describe('clock skew between peers', () => {
  it('is measured and reported per peer, with its sign (positive: the peer is ahead)', async () => {
    const [a, b] = await pair(['127.0.2.72', '127.0.2.73'], 3_000);
    await until(
      'a measured skew on both',
      () => a.status().peers[0]?.clockSkewMs != null && b.status().peers[0]?.clockSkewMs != null,
    );
    expect(a.status().peers[0]?.clockSkewMs).toBeGreaterThan(2_900);
    expect(a.status().peers[0]?.clockSkewMs).toBeLessThan(3_100);
    expect(b.status().peers[0]?.clockSkewMs).toBeLessThan(-2_900);
    expect(a.status().peersConnected).toBe(1);
  });

  it('refuses a peer whose clock is further off than SYNC_MAX_CLOCK_SKEW_MS, on both sides', async () => {
    const [a, b] = await pair(['127.0.2.74', '127.0.2.75'], 60_000);
    const skewRefused = (s: StartedSyncService) => s.status().refused.some((r) => r.reason === 'clock-skew');
    await until('clock-skew refusals on both sides', () => skewRefused(a) && skewRefused(b));
    expect(a.status().peersConnected + b.status().peersConnected).toBe(0);
    expect(a.status().refused.find((r) => r.reason === 'clock-skew')?.message).toMatch(
      /SYNC_MAX_CLOCK_SKEW_MS is 10000/,
    );
  });
});
