/**
 * Real nodes finding each other with each discovery mode: DNS (a real DNS server on 127.0.2.40), Kubernetes
 * EndpointSlices (a fake API server on 127.0.2.45), mDNS (inside a private network namespace).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authenticatedPeerNames, useNodeProcesses } from '../testing/nodeFixture';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { NETNS_SETUP, networkNamespaceSupport } from '../testing/discoveryAgentProcess';
import { type StartedDnsServer, startDnsServer } from '../testing/dnsTestServer';
import { type StartedFakeKubernetesApi, startFakeKubernetesApi } from '../testing/fakeKubernetesApi';
import type { SyncStatus } from '../status/statusModel';

jest.setTimeout(60_000);

const node = useNodeProcesses();
const connected = (names: string[]) => (s: SyncStatus) =>
  JSON.stringify(authenticatedPeerNames(s)) === JSON.stringify([...names].sort());

describe('dns discovery with real processes', () => {
  let dns: StartedDnsServer;
  beforeAll(async () => {
    dns = await startDnsServer('127.0.2.40', 53, {
      a: { 'peers.msk.test': ['127.0.2.41', '127.0.2.42'] },
      srv: {
        '_sync._tcp.srv-peers.msk.test': [
          { target: 'node-3.msk.test', port: 8765 },
          { target: 'node-4.msk.test', port: 8765 },
        ],
      },
    });
    dns.records.a = { ...dns.records.a, 'node-3.msk.test': ['127.0.2.43'], 'node-4.msk.test': ['127.0.2.44'] };
  });
  afterAll(async () => {
    await dns?.close();
  });

  it("finds the peers behind a name's A records (a headless Service) and connects within 2 s", async () => {
    const shared = loopbackSharedEnv({ SYNC_DISCOVERY: 'dns', SYNC_DNS_NAME: 'peers.msk.test' });
    const args = ['--dns-server', dns.address];
    const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.41' }), { args });
    const b = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.42' }), { args });
    const sb = await b.waitForStatus('server-1', connected(['server-1']), 2_000);
    const sa = await a.waitForStatus('server-2', connected(['server-2']), 2_000);
    expect(sb.peers[0]?.discoveredVia).toEqual(['dns']);
    expect(sa.peers.find((p) => p.name === 'server-2')?.address).toBe('127.0.2.42:8765');
    expect(sa.discovery).toMatchObject({ mode: 'dns', lastError: null });
    expect(dns.queries).toContain('SRV _sync._tcp.peers.msk.test');
  });

  it('follows SRV records _sync._tcp.<name> to their targets and ports', async () => {
    const shared = loopbackSharedEnv({ SYNC_DISCOVERY: 'dns', SYNC_DNS_NAME: 'srv-peers.msk.test' });
    const args = ['--dns-server', dns.address];
    const a = await node(nodeEnv(shared, { name: 'server-3', ip: '127.0.2.43' }), { args });
    const b = await node(nodeEnv(shared, { name: 'server-4', ip: '127.0.2.44' }), { args });
    await b.waitForStatus('server-3', connected(['server-3']), 2_000);
    await a.waitForStatus('server-4', connected(['server-4']), 2_000);
  });
});

describe('kubernetes discovery with real processes', () => {
  let api: StartedFakeKubernetesApi;
  let kubeconfig: string;
  beforeAll(async () => {
    api = await startFakeKubernetesApi('127.0.2.45', 6443);
    kubeconfig = api.writeKubeconfig(mkdtempSync(path.join(os.tmpdir(), 'msk-kube-')));
  });
  afterAll(async () => {
    await api?.close();
  });

  it("watches the Service's EndpointSlices and connects to the pods listed there, including ones added later", async () => {
    const shared = loopbackSharedEnv({ SYNC_DISCOVERY: 'kubernetes', SYNC_KUBERNETES_SERVICE: 'platform-peers' });
    api.setEndpoints(
      'platform-peers',
      [
        { ip: '127.0.2.46', podName: 'platform-0' },
        { ip: '127.0.2.47', podName: 'platform-1', ready: false },
      ],
      8765,
    );
    const args = ['--kubeconfig', kubeconfig];
    const a = await node(nodeEnv(shared, { name: 'platform-0', ip: '127.0.2.46' }), { args });
    const b = await node(nodeEnv(shared, { name: 'platform-1', ip: '127.0.2.47' }), { args });
    const sa = await a.waitForStatus('platform-1', connected(['platform-1']), 2_000);
    await b.waitForStatus('platform-0', connected(['platform-0']), 2_000);
    expect(sa.peers[0]?.discoveredVia).toEqual(['kubernetes']);
    const c = await node(nodeEnv(shared, { name: 'platform-2', ip: '127.0.2.48' }), { args });
    api.setEndpoints(
      'platform-peers',
      [
        { ip: '127.0.2.46', podName: 'platform-0' },
        { ip: '127.0.2.47', podName: 'platform-1' },
        { ip: '127.0.2.48', podName: 'platform-2' },
      ],
      8765,
    );
    await c.waitForStatus('both others', connected(['platform-0', 'platform-1']), 2_000);
    await a.waitForStatus('both others', connected(['platform-1', 'platform-2']), 2_000);
    expect(
      api.requests.some(
        (r) => r.includes('watch=true') && r.includes('labelSelector=kubernetes.io%2Fservice-name%3Dplatform-peers'),
      ),
    ).toBe(true);
  });
});

const netns = networkNamespaceSupport();
describe('mdns discovery with real processes (private network namespace)', () => {
  let holder: ChildProcess | undefined;
  beforeAll(async () => {
    if (!netns.ok) return;
    holder = spawn('unshare', ['-n', 'bash', '-c', `${NETNS_SETUP} && exec sleep 600`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
  });
  afterAll(() => {
    holder?.kill('SIGKILL');
  });

  it("finds peers by their announcements, and lists another cluster's announcements as ignored without a handshake", async () => {
    if (!netns.ok) {
      console.warn(`mDNS with real processes NOT RUN: ${netns.reason}`);
      return;
    }
    const netnsPid = holder?.pid as number;
    const shared = loopbackSharedEnv({ SYNC_DISCOVERY: 'mdns' });
    const a = await node(nodeEnv(shared, { name: 'lan-1', ip: '127.0.2.2' }), { netnsPid });
    const b = await node(nodeEnv(shared, { name: 'lan-2', ip: '127.0.2.3' }), { netnsPid });
    const other = await node(
      nodeEnv(loopbackSharedEnv({ SYNC_DISCOVERY: 'mdns' }), { name: 'other-cluster', ip: '127.0.2.4' }),
      { netnsPid },
    );
    const sa = await a.waitForStatus('lan-2', connected(['lan-2']), 2_000);
    await b.waitForStatus('lan-1', connected(['lan-1']), 2_000);
    expect(sa.peers.find((p) => p.name === 'lan-2')).toMatchObject({
      address: '127.0.2.3:8765',
      discoveredVia: ['mdns'],
    });
    const withIgnored = await a.waitForStatus('the other cluster ignored', (s) =>
      s.discovery.ignored.some((i) => i.name === 'other-cluster'),
    );
    expect(withIgnored.discovery.ignored[0]?.reason).toMatch(/another cluster/);
    expect(withIgnored.refused).toEqual([]);
    const so = await other.status();
    expect(so.peersConnected).toBe(0);
    await b.stop();
    await a.waitForStatus('lan-2 gone', (s) => s.peersConnected === 0, 2_000);
  });
});
