/**
 * Port 8765 before authentication, against real sync processes over TLS (127.0.13.10-12; attackers on
 * 127.0.13.20-21 and 127.0.13.100-139): no body is read before a request names a live session, unauthenticated
 * connections are capped in total and per address and must be done within PRE_AUTH_TIMEOUT_MS, and under a flood
 * of idle connections from forty addresses a real peer still connects and handshakes.
 * (The handshake rate limit's address table: handshakeRateLimit.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_UNAUTHENTICATED_CONNECTIONS, PRE_AUTH_BODY_LIMIT_BYTES, PRE_AUTH_TIMEOUT_MS } from '../core/limits';
import { AUTH_HEADERS } from '../core/requestSignature';
import { ensureSyncBuilt } from '../testing/buildOnce';
import { selfSignedCertificate } from '../testing/certificates';
import { authenticatedPeerNames } from '../testing/nodeFixture';
import { loopbackSharedEnv, nodeEnv } from '@msk/contract/testing';
import { type StartedNode, startNode, stopAll } from '../testing/nodeProcess';

jest.setTimeout(120_000);

const A_IP = '127.0.13.10';
const B_IP = '127.0.13.11';
const C_IP = '127.0.13.12';
const ATTACKER_IP = '127.0.13.20';
const FLOOD_ADDRESSES = Array.from({ length: 40 }, (_, i) => `127.0.13.${100 + i}`);
const POKE = '/sync/v1/replication/poke';

const dir = mkdtempSync(path.join(os.tmpdir(), 'msk-preauth-'));
const certificate = (name: string) => selfSignedCertificate(dir, name);

async function eventually(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Sends the headers of a request that declares `declaredBytes` of body and only `sentBytes` of it, then waits for
 * the answer: a server that reads the whole body before judging the request never answers.
 */
function partialRequest(input: {
  method: 'GET' | 'POST';
  path: string;
  declaredBytes: number;
  sentBytes: number;
  headers?: Record<string, string>;
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: B_IP,
        port: 8765,
        localAddress: ATTACKER_IP,
        method: input.method,
        path: input.path,
        agent: false,
        rejectUnauthorized: false,
        headers: {
          'content-type': 'application/json',
          'content-length': String(input.declaredBytes),
          ...input.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error),
    );
    req.write(Buffer.alloc(input.sentBytes, 'x'));
  });
}

/** Idle TCP connections (they never send a byte), re-opened after the server closes them while `holding`. */
class IdleFlood {
  open = new Set<net.Socket>();
  closedByServer = 0;
  attempts = 0;
  private holding = true;

  constructor(
    private readonly addresses: readonly string[],
    private readonly perAddress: number,
    private readonly reopen: boolean,
  ) {
    for (const address of addresses) for (let i = 0; i < perAddress; i++) this.connect(address);
  }

  private connect(address: string): void {
    if (!this.holding) return;
    this.attempts += 1;
    const socket = net.connect({ host: B_IP, port: 8765, localAddress: address });
    socket.on('connect', () => this.open.add(socket));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const wasOpen = this.open.delete(socket);
      if (!this.holding) return;
      if (wasOpen) this.closedByServer += 1;
      if (this.reopen) setTimeout(() => this.connect(address), 10);
    });
  }

  stop(): void {
    this.holding = false;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}

const shared = loopbackSharedEnv({ SYNC_LOG_LEVEL: 'info' });
let a: StartedNode;
let b: StartedNode;
let c: StartedNode | undefined;

beforeAll(async () => {
  ensureSyncBuilt();
  b = await startNode({ env: nodeEnv(shared, { name: 'server-b', ip: B_IP }, certificate('server-b')) });
  a = await startNode({
    env: nodeEnv(shared, { name: 'server-a', ip: A_IP, peers: [`${B_IP}:8765`] }, certificate('server-a')),
  });
  await b.waitForStatus('server-a connected', (s) => s.peersConnected === 1);
});

afterAll(async () => {
  await stopAll([a, b, c]);
});

describe('port 8765 before authentication (real processes, TLS)', () => {
  it('answers a request without a live session after its headers, without reading a body larger than a handshake needs', async () => {
    const forged = {
      [AUTH_HEADERS.session]: randomBytes(16).toString('hex'),
      [AUTH_HEADERS.node]: randomBytes(8).toString('hex'),
      [AUTH_HEADERS.timestamp]: String(Date.now()),
      [AUTH_HEADERS.nonce]: randomBytes(32).toString('hex'),
      [AUTH_HEADERS.signature]: randomBytes(32).toString('hex'),
    };
    const poke = await partialRequest({
      method: 'POST',
      path: POKE,
      declaredBytes: 200 * 1024,
      sentBytes: 1024,
      headers: forged,
    });
    expect(poke.status).toBe(401);
    expect(JSON.parse(poke.body)).toMatchObject({ error: 'unknown-session' });
    // An open route from loopback: the same small limit, whatever the route would take from a peer.
    const status = await partialRequest({
      method: 'GET',
      path: '/status',
      declaredBytes: 1024 * 1024,
      sentBytes: 1024,
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body)).toEqual({ error: `body larger than ${PRE_AUTH_BODY_LIMIT_BYTES} bytes` });
  });

  it('closes a connection that sends nothing within PRE_AUTH_TIMEOUT_MS', async () => {
    const flood = new IdleFlood([ATTACKER_IP], 1, false);
    try {
      await eventually('the idle connection to open', () => flood.open.size === 1, 5_000);
      await eventually(
        'the server to close the idle connection',
        () => flood.closedByServer === 1,
        PRE_AUTH_TIMEOUT_MS + 10_000,
      );
    } finally {
      flood.stop();
    }
  });

  it('under a flood of idle connections from forty addresses keeps at most its limits open, and a new peer still connects and handshakes', async () => {
    const perAddress = 12; // more than MAX_UNAUTHENTICATED_CONNECTIONS_PER_ADDRESS, and 480 in all
    const flood = new IdleFlood(FLOOD_ADDRESSES, perAddress, true);
    try {
      const attempted = FLOOD_ADDRESSES.length * perAddress;
      await eventually(
        `the server to close all but ${MAX_UNAUTHENTICATED_CONNECTIONS} of ${attempted} idle connections`,
        () => flood.closedByServer >= attempted - MAX_UNAUTHENTICATED_CONNECTIONS,
        15_000,
      );

      // While the flood goes on, a new real peer connects and handshakes, and the existing one stays connected.
      c = await startNode({
        env: nodeEnv(shared, { name: 'server-c', ip: C_IP, peers: [`${B_IP}:8765`] }, certificate('server-c')),
      });
      const status = await b.waitForStatus(
        'server-c connected during the flood',
        (s) => s.peersConnected === 2,
        30_000,
      );
      expect(authenticatedPeerNames(status)).toEqual(['server-a', 'server-c']);
      await c.waitForStatus(
        'a heartbeat from server-c to server-b',
        (s) => s.peersConnected === 1 && s.peers[0]?.clockSkewMs !== null,
        30_000,
      );
      expect(flood.attempts).toBeGreaterThan(attempted);
      const metrics = (await b.get('/metrics')).body;
      expect(metrics).toMatch(/msk_sync_rejected_requests_total\{reason="connection-limit",route="connection"\} [1-9]/);
      expect(metrics).toMatch(/msk_sync_rejected_requests_total\{reason="displaced",route="connection"\} [1-9]/);
    } finally {
      flood.stop();
    }
    expect((await a.status()).peersConnected).toBe(1);
  });
});
