/** TLS on the peer port, real processes on 127.0.2.50-66: certificates from files (made with openssl) and made at start (the default), pinning, and what plain text gets. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { SYNC_MAIN } from '../testing/buildOnce';
import { selfSignedCertificate } from '../testing/certificates';
import { useNodeProcesses } from '../testing/nodeFixture';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { httpGet } from '../testing/nodeProcess';
import { fakeIdentity, freshHello } from '../testing/fakePeer';
import { startRecordingProxy } from '../testing/recordingProxy';

jest.setTimeout(60_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'msk-tls-'));
const selfSigned = (name: string) => selfSignedCertificate(dir, name);

const node = useNodeProcesses();

describe('TLS on the sync port', () => {
  it('two nodes with self-signed certificates authenticate each other over TLS', async () => {
    const shared = loopbackSharedEnv();
    const a = await node(
      nodeEnv(shared, { name: 'server-1', ip: '127.0.2.50', peers: ['127.0.2.51:8765'] }, selfSigned('server-1')),
    );
    const b = await node(
      nodeEnv(shared, { name: 'server-2', ip: '127.0.2.51', peers: ['127.0.2.50:8765'] }, selfSigned('server-2')),
    );
    const sa = await a.waitForStatus('one peer', (s) => s.peersConnected === 1, 2_000);
    await b.waitForStatus('one peer', (s) => s.peersConnected === 1, 2_000);
    expect(sa.service.tls).toBe(true);
    await a.waitForStatus('a heartbeat over TLS', (s) => s.peers[0]?.clockSkewMs !== null);
  });

  it('a TLS node and a plain node do not connect, and each says the other side differs in TLS', async () => {
    const shared = loopbackSharedEnv();
    const tlsNode = await node(
      nodeEnv(shared, { name: 'server-1', ip: '127.0.2.52', peers: ['127.0.2.53:8765'] }, selfSigned('server-3')),
    );
    const plain = await node(
      nodeEnv(shared, { name: 'server-2', ip: '127.0.2.53', peers: ['127.0.2.52:8765'] }, { SYNC_TLS: 'off' }),
    );
    const st = await tlsNode.waitForStatus('a TLS error', (s) =>
      /does not speak TLS: SYNC_TLS must be the same/.test(s.peers[0]?.lastError ?? ''),
    );
    const sp = await plain.waitForStatus('a TLS hint', (s) =>
      /uses TLS on its sync port \(SYNC_TLS=on/.test(s.peers[0]?.lastError ?? ''),
    );
    expect(st.peersConnected + sp.peersConnected).toBe(0);
  });

  it.each([
    [
      'when the certificate file cannot be read, naming the variable',
      () => ({ SYNC_TLS_CERT_FILE: path.join(dir, 'missing.crt'), SYNC_TLS_KEY_FILE: path.join(dir, 'missing.key') }),
      /SYNC_TLS_CERT_FILE points at .*missing\.crt, which cannot be read \(ENOENT\)/,
    ],
    [
      'with SYNC_TLS=off and a certificate file, naming both variables',
      () => ({ SYNC_TLS: 'off', ...selfSigned('server-8') }),
      /SYNC_TLS is off but SYNC_TLS_CERT_FILE is set/,
    ],
    [
      'when only one of the two TLS files is set',
      () => ({ SYNC_TLS_CERT_FILE: path.join(dir, 'x.crt') }),
      /SYNC_TLS_KEY_FILE is empty but its partner is set/,
    ],
  ])('refuses to start %s', (_what, overrides: () => Record<string, string>, message: RegExp) => {
    const env = nodeEnv(loopbackSharedEnv(), { name: 'server-1', ip: '127.0.2.52' }, overrides());
    const run = spawnSync(process.execPath, [SYNC_MAIN, 'run'], {
      env: { PATH: process.env.PATH, ...env },
      cwd: dir,
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
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
      const shared = loopbackSharedEnv();
      const b = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.55' }, selfSigned('server-5')));
      const a = await node(
        nodeEnv(shared, { name: 'server-1', ip: '127.0.2.54', peers: ['127.0.2.56:8765'] }, selfSigned('server-4')),
      );
      const mismatch = (s: { refused: { reason: string }[] }) =>
        s.refused.some((r) => r.reason === 'tls-certificate-mismatch');
      const sa = await a.waitForStatus('a certificate mismatch', mismatch);
      const sb = await b.waitForStatus('a certificate mismatch', mismatch);
      expect(sa.peersConnected + sb.peersConnected).toBe(0);
      expect(sa.refused.find((r) => r.reason === 'tls-certificate-mismatch')?.message).toMatch(/intercepts TLS/);
    } finally {
      await proxy.close();
    }
  });
});

/**
 * A TCP relay at one address that first leads to the real peer, then (switched) to an impostor with another
 * certificate: what an attacker who takes over a peer's address, or the path to it, does after the handshake.
 */
async function startSwitchableRelay(
  listenIp: string,
  sourceIp: string,
  firstTarget: string,
): Promise<{ readonly sent: Buffer[]; switchTo(ip: string): void; close(): Promise<void> }> {
  let target = firstTarget;
  const sent: Buffer[] = [];
  const pipes = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.on('data', (chunk: Buffer) => sent.push(chunk));
    const upstream = net.connect({ host: target, port: 8765, localAddress: sourceIp });
    for (const s of [client, upstream]) {
      pipes.add(s);
      s.on('close', () => pipes.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(8765, listenIp, resolve));
  return {
    sent,
    switchTo(ip) {
      target = ip;
      for (const s of pipes) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of pipes) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('TLS certificate pinning on requests', () => {
  it("a server with another certificate at a connected peer's address never receives a byte of a signed request", async () => {
    const impostorCert = selfSigned('impostor');
    const received: { bytes: Buffer[]; closed: boolean }[] = [];
    const impostor = tls.createServer(
      { cert: readFileSync(impostorCert.SYNC_TLS_CERT_FILE), key: readFileSync(impostorCert.SYNC_TLS_KEY_FILE) },
      (socket) => {
        const connection = { bytes: [] as Buffer[], closed: false };
        received.push(connection);
        socket.on('data', (chunk: Buffer) => connection.bytes.push(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => (connection.closed = true));
      },
    );
    await new Promise<void>((resolve) => impostor.listen(8765, '127.0.2.59', resolve));
    const relay = await startSwitchableRelay('127.0.2.60', '127.0.2.57', '127.0.2.58');
    try {
      const shared = loopbackSharedEnv();
      await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.58' }, selfSigned('server-7')));
      const a = await node(
        nodeEnv(shared, { name: 'server-1', ip: '127.0.2.57', peers: ['127.0.2.60:8765'] }, selfSigned('server-6')),
      );
      await a.waitForStatus(
        'a heartbeat to the real peer',
        (s) => s.peersConnected === 1 && s.peers[0]?.clockSkewMs !== null,
      );

      relay.switchTo('127.0.2.59');
      const firstLines = () =>
        received
          .filter((c) => c.bytes.length > 0)
          .map((c) => Buffer.concat(c.bytes).toString('latin1').split('\r\n')[0]);
      // server-1's next signed request (a heartbeat) meets the impostor; it then starts a new handshake there.
      const deadline = Date.now() + 30_000;
      while (!firstLines().includes('POST /sync/v1/handshake/hello HTTP/1.1') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));

      // Only hellos arrived (first contact, nothing secret: a hello learns the certificate), never a signed request.
      expect(firstLines()).toContain('POST /sync/v1/handshake/hello HTTP/1.1');
      for (const line of firstLines()) expect(line).toBe('POST /sync/v1/handshake/hello HTTP/1.1');
      expect(
        received
          .flatMap((c) => c.bytes)
          .map((b) => b.toString('latin1'))
          .join(''),
      ).not.toMatch(/x-msk-signature/i);
      expect(a.logLines.join('\n')).toMatch(/presented a TLS certificate other than the one its handshake proved/);
    } finally {
      await relay.close();
      await new Promise<void>((resolve) => impostor.close(() => resolve()));
    }
  });
});

/** Everything a plain-text client at `from` gets back for `request` before the server closes the connection. */
function plainExchange(from: string, to: string, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: to, port: 8765, localAddress: from }, () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error),
    );
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('TLS by default', () => {
  it('two nodes with no TLS setting talk TLS to each other: an on-path observer sees no plain text', async () => {
    const relay = await startSwitchableRelay('127.0.2.63', '127.0.2.61', '127.0.2.62');
    try {
      const shared = loopbackSharedEnv();
      const b = await node(nodeEnv(shared, { name: 'server-2', ip: '127.0.2.62' }));
      const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.61', peers: ['127.0.2.63:8765'] }));
      const sa = await a.waitForStatus(
        'a heartbeat over TLS',
        (s) => s.peersConnected === 1 && s.peers[0]?.clockSkewMs !== null,
      );
      expect(sa.service.tls).toBe(true);
      expect((await b.status()).peersConnected).toBe(1);
      expect(a.logRecords().find((r) => r.msg === 'sync service listening')).toMatchObject({
        tls: true,
        tlsCertificate: 'made at start',
        tlsCertSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const observed = Buffer.concat(relay.sent);
      expect(observed[0]).toBe(0x16); // a TLS handshake record
      expect(observed.toString('latin1')).not.toMatch(/sync\/v1|server-1|HTTP\/1\.1/);
    } finally {
      await relay.close();
    }
  });

  it('gives a plain-text client on another address nothing: no status, no health, no handshake, no rows', async () => {
    const shared = loopbackSharedEnv();
    await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.64' }));
    const hello = JSON.stringify(freshHello(fakeIdentity()));
    for (const request of [
      'GET /status HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /sync/v1/replication/pull HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      `POST /sync/v1/handshake/hello HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(hello)}\r\n\r\n${hello}`,
    ]) {
      expect((await plainExchange('127.0.2.65', '127.0.2.64', request)).length).toBe(0);
    }
  });

  it("still answers this host's own plain-text clients (the app's readiness, `status`) on the operator routes only", async () => {
    const shared = loopbackSharedEnv();
    const a = await node(nodeEnv(shared, { name: 'server-1', ip: '127.0.2.66' }));
    const status = await httpGet('http://127.0.2.66:8765/status');
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ node: { name: 'server-1' }, service: { tls: true } });
    expect((await httpGet('https://127.0.2.66:8765/health')).status).toBe(200);
    const hello = JSON.stringify(freshHello(fakeIdentity()));
    const answer = (
      await plainExchange(
        '127.0.0.1',
        '127.0.2.66',
        `POST /sync/v1/handshake/hello HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(hello)}\r\n\r\n${hello}`,
      )
    ).toString('utf8');
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toMatch(/"error":"tls-required"/);
    expect(answer).not.toMatch(/handshakeId|proof/);
    expect(a.logLines.join('\n')).not.toContain(shared.SYNC_REGISTRATION_KEY as string);
  });
});
