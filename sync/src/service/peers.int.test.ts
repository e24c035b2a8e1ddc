/**
 * Real sync service processes on loopback addresses 127.0.2.10-22, same port, static discovery:
 * handshake, refusals and configuration agreement, as both sides report them.
 */
import { newNodeId, loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { useNodeProcesses } from '../testing/nodeFixture';
import type { StartedNode } from '../testing/nodeProcess';
import type { SyncStatus } from '../status/statusModel';

jest.setTimeout(60_000);

const node = useNodeProcesses();

const peersConnected = (n: number) => (s: SyncStatus) => s.peersConnected === n;

describe('sync service peers (static discovery, real processes)', () => {
  it('two nodes on the same port authenticate each other and both report Peers Connected: 1', async () => {
    const shared = loopbackSharedEnv();
    const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.10', peers: ['127.0.2.11:8765'] }));
    const b = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.11', peers: ['127.0.2.10:8765'] }));
    const sa = await a.waitForStatus('one peer', peersConnected(1), 2_000);
    const sb = await b.waitForStatus('one peer', peersConnected(1), 2_000);
    expect(sa.peers[0]).toMatchObject({
      name: 'server-2',
      address: '127.0.2.11:8765',
      authState: 'authenticated',
      discoveredVia: ['static'],
    });
    expect(sb.peers[0]).toMatchObject({ name: 'server-1', address: '127.0.2.10:8765', authState: 'authenticated' });
    expect(sa.agreement).toEqual({ ok: true, oddOneOut: false, mismatches: [] });
    const skewed = await a.waitForStatus('a measured clock skew', (s) => s.peers[0]?.clockSkewMs !== null);
    expect(Math.abs(skewed.peers[0]?.clockSkewMs as number)).toBeLessThan(100);
    expect((await a.get('/ready')).status).toBe(200);
    expect((await b.get('/health')).status).toBe(200);
  });

  it('refuses a peer whose registration key differs, and both sides say "registration key differs"', async () => {
    const envA = nodeEnv(loopbackSharedEnv(), { name: 'server-1', ip: '127.0.2.12', peers: ['127.0.2.13:8765'] });
    const envB = nodeEnv(loopbackSharedEnv(), { name: 'server-2', ip: '127.0.2.13', peers: ['127.0.2.12:8765'] });
    const a = await node(envA);
    const b = await node(envB);
    const refusedKey = (s: SyncStatus) => s.refused.some((r) => r.reason === 'registration-key-differs');
    const sa = await a.waitForStatus('a key refusal', refusedKey);
    const sb = await b.waitForStatus('a key refusal', refusedKey);
    for (const [s, other] of [
      [sa, '127.0.2.13:8765'],
      [sb, '127.0.2.12:8765'],
    ] as const) {
      expect(s.peersConnected).toBe(0);
      const refusal = s.refused.find((r) => r.reason === 'registration-key-differs');
      expect(refusal).toMatchObject({ address: other, summary: 'registration key differs' });
      expect(refusal?.message).toMatch(/registration key differs/);
    }
    expect(sa.peers.find((p) => p.address === '127.0.2.13:8765')).toMatchObject({
      authState: 'refused',
      refusalReason: 'registration-key-differs',
    });
    const logged = (n: StartedNode) =>
      n.logRecords().some((r) => r.reason === 'registration-key-differs' && r.level === 40);
    expect(logged(a) && logged(b)).toBe(true);
    const secrets = [
      envA.SYNC_REGISTRATION_KEY,
      envB.SYNC_REGISTRATION_KEY,
      envA.NEXTAUTH_SECRET,
      envB.NEXTAUTH_SECRET,
    ] as string[];
    const leaked = [a, b].flatMap((n) => n.logLines).filter((line) => secrets.some((secret) => line.includes(secret)));
    expect(leaked).toEqual([]);
    expect(JSON.stringify([sa, sb])).not.toContain(envA.SYNC_REGISTRATION_KEY);
  });

  it('keeps a peer whose NEXTAUTH_SECRET differs connected, reports it on both sides, and fails readiness on the later-started node', async () => {
    const shared = loopbackSharedEnv();
    const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.14', peers: ['127.0.2.15:8765'] }));
    const b = await node(
      nodeEnv(
        shared,
        { name: 'server-2', ip: '127.0.2.15', peers: ['127.0.2.14:8765'] },
        { NEXTAUTH_SECRET: loopbackSharedEnv().NEXTAUTH_SECRET as string },
      ),
    );
    const sa = await a.waitForStatus('a disagreement', (s) => s.peersConnected === 1 && !s.agreement.ok);
    const sb = await b.waitForStatus('a disagreement', (s) => s.peersConnected === 1 && !s.agreement.ok);
    expect(sa.agreement.mismatches).toEqual([
      {
        variable: 'NEXTAUTH_SECRET',
        peers: [expect.objectContaining({ name: 'server-2', address: '127.0.2.15:8765' })],
        oddOneOut: false,
      },
    ]);
    expect(sb.agreement.mismatches).toEqual([
      {
        variable: 'NEXTAUTH_SECRET',
        peers: [expect.objectContaining({ name: 'server-1', address: '127.0.2.14:8765' })],
        oddOneOut: true,
      },
    ]);
    expect(sa.agreement.oddOneOut).toBe(false);
    expect(sb.agreement.oddOneOut).toBe(true);
    expect(sa.peers[0]?.agreement).toEqual({ ok: false, differing: ['NEXTAUTH_SECRET'] });
    expect((await a.get('/ready')).status).toBe(200);
    const readyB = await b.get('/ready');
    expect(readyB.status).toBe(503);
    expect(readyB.body).toMatch(/odd one out: NEXTAUTH_SECRET/);
  });

  it('reports a NEXTAUTH_URL scheme difference as such', async () => {
    const shared = loopbackSharedEnv();
    const a = await node(
      nodeEnv(
        shared,
        { name: 'server-1', ip: '127.0.2.16', peers: ['127.0.2.17:8765'] },
        { NEXTAUTH_URL: 'https://platform.example.com' },
      ),
    );
    const b = await node(
      nodeEnv(
        shared,
        { name: 'server-2', ip: '127.0.2.17', peers: ['127.0.2.16:8765'] },
        { NEXTAUTH_URL: 'http://platform.example.com' },
      ),
    );
    const sb = await b.waitForStatus('a disagreement', (s) => s.peersConnected === 1 && !s.agreement.ok);
    expect(sb.agreement.mismatches[0]).toMatchObject({ variable: 'NEXTAUTH_URL' });
    expect(sb.agreement.mismatches[0]?.detail).toMatch(/scheme differs: this node uses http, server-1 uses https/);
    await a.waitForStatus('a disagreement', (s) => s.agreement.mismatches.some((m) => m.variable === 'NEXTAUTH_URL'));
  });

  it('refuses a second node with an ID already in use, on both sides, naming both addresses', async () => {
    const shared = loopbackSharedEnv();
    const duplicateId = newNodeId();
    const first = await node(
      nodeEnv(shared, { name: 'server-1', ip: '127.0.2.18', id: duplicateId, peers: ['127.0.2.19:8765'] }),
    );
    const witness = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.19', peers: ['127.0.2.18:8765'] }));
    await witness.waitForStatus('the first node', peersConnected(1));
    const second = await node(
      nodeEnv(shared, {
        name: 'server-3',
        ip: '127.0.2.20',
        id: duplicateId,
        peers: ['127.0.2.19:8765', '127.0.2.18:8765'],
      }),
    );
    const duplicate = (s: SyncStatus) => s.refused.some((r) => r.reason === 'duplicate-node-id');
    const sw = await witness.waitForStatus('a duplicate refusal', duplicate);
    const ss = await second.waitForStatus(
      'duplicate refusals from both peers',
      (s) => s.refused.filter((r) => r.reason === 'duplicate-node-id').length >= 2,
    );
    const sf = await first.waitForStatus('a duplicate refusal', duplicate);

    const witnessSays = sw.refused.find((r) => r.reason === 'duplicate-node-id');
    expect(witnessSays?.message).toContain('127.0.2.18:8765');
    expect(witnessSays?.message).toContain('127.0.2.20:8765');
    expect(sw.peersConnected).toBe(1);
    expect(sw.peers.find((p) => p.authState === 'authenticated')).toMatchObject({
      name: 'server-1',
      address: '127.0.2.18:8765',
    });

    const secondHeard = ss.refused.find((r) => r.reason === 'duplicate-node-id' && r.address === '127.0.2.19:8765');
    expect(secondHeard).toMatchObject({ side: 'refused-by-peer' });
    expect(secondHeard?.message).toContain('127.0.2.18:8765');
    expect(secondHeard?.message).toContain('127.0.2.20:8765');
    expect(ss.peersConnected).toBe(0);
    expect(ss.ready.ok).toBe(false);
    expect((await second.get('/ready')).status).toBe(503);

    const firstSays = sf.refused.find((r) => r.reason === 'duplicate-node-id');
    expect(firstSays?.message).toContain('127.0.2.18:8765');
    expect(firstSays?.message).toContain('127.0.2.20:8765');
    expect(sf.ready.ok).toBe(true);
    expect(sf.peersConnected).toBe(1);
  });

  it('notices at once when a peer stops (goodbye) and reconnects when it comes back', async () => {
    const shared = loopbackSharedEnv();
    const envB = nodeEnv(shared, { name: 'server-2', ip: '127.0.2.22', peers: ['127.0.2.21:8765'] });
    const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.21', peers: ['127.0.2.22:8765'] }));
    let b = await node(envB);
    await a.waitForStatus('one peer', peersConnected(1));
    await b.stop();
    const gone = await a.waitForStatus('no peer', peersConnected(0), 1_000);
    expect(gone.peers[0]).toMatchObject({ name: 'server-2', authState: 'disconnected' });
    b = await node(envB);
    await a.waitForStatus('the peer back', peersConnected(1), 2_000);
    await b.waitForStatus('the peer back', peersConnected(1), 2_000);
  });
});
