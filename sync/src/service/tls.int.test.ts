/** TLS on the peer port (self-signed certificates made with openssl), real processes on 127.0.2.50-53. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SYNC_MAIN, ensureSyncBuilt } from '../testing/buildOnce';
import { newSharedEnv, nodeEnv } from '../testing/clusterEnv';
import { httpGet, type StartedNode, startNode, stopAll } from '../testing/nodeProcess';
import { startRecordingProxy } from '../testing/recordingProxy';

jest.setTimeout(60_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'msk-tls-'));
function selfSigned(name: string): { SYNC_TLS_CERT_FILE: string; SYNC_TLS_KEY_FILE: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], {
    stdio: 'pipe',
  });
  return { SYNC_TLS_CERT_FILE: cert, SYNC_TLS_KEY_FILE: key };
}

const started: StartedNode[] = [];
async function node(env: Record<string, string>): Promise<StartedNode> {
  const n = await startNode({ env });
  started.push(n);
  return n;
}

beforeAll(() => ensureSyncBuilt());
afterEach(async () => {
  await stopAll(started.splice(0));
});

describe('TLS on the sync port', () => {
  it('two nodes with self-signed certificates authenticate each other over TLS', async () => {
    const shared = newSharedEnv();
    const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.50', peers: ['127.0.2.51:8765'] }, selfSigned('server-1')));
    const b = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.51', peers: ['127.0.2.50:8765'] }, selfSigned('server-2')));
    const sa = await a.waitForStatus('one peer', (s) => s.peersConnected === 1, 2_000);
    await b.waitForStatus('one peer', (s) => s.peersConnected === 1, 2_000);
    expect(sa.service.tls).toBe(true);
    await a.waitForStatus('a heartbeat over TLS', (s) => s.peers[0]?.clockSkewMs !== null);
    await expect(httpGet('http://127.0.2.50:8765/health')).rejects.toThrow();
  });

  it('a TLS node and a plain node do not connect, and each says the other side differs in TLS', async () => {
    const shared = newSharedEnv();
    const tlsNode = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.52', peers: ['127.0.2.53:8765'] }, selfSigned('server-3')));
    const plain = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.53', peers: ['127.0.2.52:8765'] }));
    const st = await tlsNode.waitForStatus('a TLS error', (s) => /does not speak TLS/.test(s.peers[0]?.lastError ?? ''));
    const sp = await plain.waitForStatus('a TLS hint', (s) => /uses TLS on its sync port/.test(s.peers[0]?.lastError ?? ''));
    expect(st.peersConnected + sp.peersConnected).toBe(0);
  });

  it('refuses to start when the certificate file cannot be read, naming the variable', () => {
    const env = nodeEnv(newSharedEnv(), { name: 'server-1', ip: '127.0.2.52' }, { SYNC_TLS_CERT_FILE: path.join(dir, 'missing.crt'), SYNC_TLS_KEY_FILE: path.join(dir, 'missing.key') });
    const run = spawnSync(process.execPath, [SYNC_MAIN, 'run'], { env: { PATH: process.env.PATH, ...env }, cwd: dir, encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/SYNC_TLS_CERT_FILE points at .*missing\.crt, which cannot be read \(ENOENT\)/);
  });

  it('refuses to start when only one of the two TLS files is set', () => {
    const env = nodeEnv(newSharedEnv(), { name: 'server-1', ip: '127.0.2.52' }, { SYNC_TLS_CERT_FILE: path.join(dir, 'x.crt') });
    const run = spawnSync(process.execPath, [SYNC_MAIN, 'run'], { env: { PATH: process.env.PATH, ...env }, cwd: dir, encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/SYNC_TLS_KEY_FILE is empty but its partner is set/);
  });
});

describe('TLS channel binding', () => {
  it('refuses a peer reached through a TLS-intercepting proxy, and both nodes say so', async () => {
    const proxyCert = selfSigned('interceptor');
    const proxy = await startRecordingProxy({
      listenIp: '127.0.2.56',
      port: 8765,
      targetIp: '127.0.2.55',
      targetPort: 8765,
      sourceIp: '127.0.2.54',
      tls: { cert: readFileSync(proxyCert.SYNC_TLS_CERT_FILE), key: readFileSync(proxyCert.SYNC_TLS_KEY_FILE) },
    });
    try {
      const shared = newSharedEnv();
      const b = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.55' }, selfSigned('server-5')));
      const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.54', peers: ['127.0.2.56:8765'] }, selfSigned('server-4')));
      const mismatch = (s: { refused: { reason: string }[] }) => s.refused.some((r) => r.reason === 'tls-certificate-mismatch');
      const sa = await a.waitForStatus('a certificate mismatch', mismatch);
      const sb = await b.waitForStatus('a certificate mismatch', mismatch);
      expect(sa.peersConnected + sb.peersConnected).toBe(0);
      expect(sa.refused.find((r) => r.reason === 'tls-certificate-mismatch')?.message).toMatch(/intercepts TLS/);
    } finally {
      await proxy.close();
    }
  });
});
