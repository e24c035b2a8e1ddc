'use strict';
/**
 * Benchmark: time from start to "every node reports all peers connected", for 2 and 5 sync service processes
 * (static discovery, 127.0.2.200+ on port 8765), side by side with a same-run baseline: the same number of bare
 * Node processes doing only an HTTP round trip to each other with the same retry policy (bareMeshNode.js).
 * Also the handshake's own cost against a bare HTTP round trip to the same sync processes, and what TLS (the
 * default) costs: the same cluster with SYNC_TLS=off in the same run.
 * Prints ratios; asserts nothing. Needs the compiled service: `npx tsc -b sync` (npm run bench builds first).
 *   node sync/bench/peersConnected.js [--runs N]
 */
const { Buffer } = require('node:buffer');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');
const { createInterface } = require('node:readline');
const { setTimeout } = require('node:timers');

const MAIN = path.join(__dirname, '../dist/cli/main.js');
const BARE = path.join(__dirname, 'bareMeshNode.js');
const PORT = 8765;
const FIRST_IP = 200;
const NODE_COUNTS = [2, 5];
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const TIMEOUT_MS = 20_000;

const ipOf = (i) => `127.0.2.${FIRST_IP + i}`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Spawns processes that print JSON lines; resolves when every process printed a line matching `done`. */
async function runCluster(commands, isListening, isDone) {
  const t0 = Date.now();
  const children = commands.map(({ args, env }) =>
    spawn(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const listeningAt = new Array(children.length).fill(undefined);
  const doneAt = new Array(children.length).fill(undefined);
  const output = children.map(() => []);
  children.forEach((child, i) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output[i].push(line);
      let record;
      try {
        record = JSON.parse(line);
      } catch {
        return;
      }
      const time = Date.parse(record.time);
      if (listeningAt[i] === undefined && isListening(record)) listeningAt[i] = time;
      if (doneAt[i] === undefined && isDone(record)) doneAt[i] = time;
    });
    child.stderr.on('data', (c) => output[i].push(c.toString()));
  });
  const deadline = Date.now() + TIMEOUT_MS;
  while (doneAt.some((t) => t === undefined) && Date.now() < deadline) await sleep(10);
  const result = { t0, listeningAt, doneAt, children, commands };
  if (doneAt.some((t) => t === undefined)) {
    await stopAll(children);
    throw new Error(
      `cluster did not connect within ${TIMEOUT_MS} ms:\n${output.map((o, i) => `--- node ${i}\n${o.slice(-10).join('\n')}`).join('\n')}`,
    );
  }
  return result;
}

async function stopAll(children) {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.on('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        }),
    ),
  );
}

function syncCommands(n, tls) {
  const shared = {
    ...(tls ? {} : { SYNC_TLS: 'off' }),
    NEXTAUTH_SECRET: crypto.randomBytes(32).toString('base64'),
    SYNC_REGISTRATION_KEY: crypto.randomBytes(32).toString('hex'),
    NEXTAUTH_URL: 'http://127.0.0.1:8080',
    DATABASE_URL: 'postgresql://msk@localhost:5432/bench',
    SYNC_LOG_LEVEL: 'info',
    REPLICATED_TABLES: 'users,businesses,employees',
  };
  return Array.from({ length: n }, (_, i) => ({
    args: [MAIN, 'run'],
    env: {
      ...shared,
      SYNC_NODE_ID: crypto.randomBytes(8).toString('hex'),
      SYNC_NODE_NAME: `bench-${i}`,
      SYNC_BIND_ADDRESS: ipOf(i),
      SYNC_PEERS: Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => `${ipOf(j)}:${PORT}`)
        .join(','),
    },
  }));
}

function bareCommands(n) {
  return Array.from({ length: n }, (_, i) => ({
    args: [
      BARE,
      ipOf(i),
      String(PORT),
      ...Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => `${ipOf(j)}:${PORT}`),
    ],
    env: {},
  }));
}

const agents = {
  plain: new http.Agent({ keepAlive: true }),
  tls: new https.Agent({ keepAlive: true, rejectUnauthorized: false }),
};
const transportOf = (tls) => (tls ? https : http);
const agentOf = (tls) => (tls ? agents.tls : agents.plain);

/** One bare HTTP(S) round trip to a running sync process (same kind of connection as the handshake below). */
function roundTripMs(ip, tls) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    transportOf(tls)
      .get({ host: ip, port: PORT, path: '/health', agent: agentOf(tls), localAddress: '127.0.2.250' }, (res) => {
        res.resume();
        res.on('end', () => resolve(Number(process.hrtime.bigint() - start) / 1e6));
      })
      .on('error', reject);
  });
}

/**
 * A complete handshake (hello + confirm, both proofs checked) with a running, warm sync process. Each message on
 * its own connection, as the service's initiator does (an unauthenticated connection gets one answer); over TLS
 * that is two TLS handshakes.
 */
async function handshakeMs(ip, registrationKey, tls) {
  const { deriveClusterKeys } = require('../dist/core/clusterKeys.js');
  const { checkAnswer, createConfirm, createHello } = require('../dist/core/handshake.js');
  const keys = deriveClusterKeys(registrationKey);
  const self = {
    id: crypto.randomBytes(8).toString('hex'),
    name: 'bench-peer',
    instanceId: crypto.randomBytes(16).toString('hex'),
    startedAt: Date.now(),
    port: 9,
  };
  const config = { fingerprints: {}, previousSessionSecrets: [], publicValues: {} };
  const start = process.hrtime.bigint();
  const hello = createHello({
    self,
    config,
    nonce: crypto.randomBytes(32).toString('hex'),
    nowMs: Date.now(),
    tlsCertSha256: tls ? crypto.randomBytes(32).toString('hex') : null,
  });
  const helloAnswer = await post(ip, '/sync/v1/handshake/hello', hello, tls);
  const answer = JSON.parse(helloAnswer.body);
  const check = checkAnswer({ keys, hello, answer, observedTlsCertSha256: helloAnswer.certSha256 });
  if (!check.ok) throw new Error(`bench handshake failed: ${check.reason}`);
  const confirmed = JSON.parse(
    (await post(ip, '/sync/v1/handshake/confirm', createConfirm(keys, answer.handshakeId, check.transcript, null), tls))
      .body,
  );
  if (!confirmed.accepted) throw new Error('bench handshake was not accepted');
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function post(ip, route, json, tls) {
  const body = Buffer.from(JSON.stringify(json));
  return new Promise((resolve, reject) => {
    const options = {
      host: ip,
      port: PORT,
      path: route,
      method: 'POST',
      agent: false,
      rejectUnauthorized: false,
      localAddress: '127.0.2.250',
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    };
    const req = transportOf(tls).request(options, (res) => {
      const raw = tls ? res.socket.getPeerCertificate().raw : undefined;
      const certSha256 = raw ? crypto.createHash('sha256').update(raw).digest('hex') : null;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks).toString(), certSha256 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function metricValue(text, name) {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

function get(ip, route) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: ip, port: PORT, path: route, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      })
      .on('error', reject);
  });
}

async function main() {
  const rows = [];
  const handshakeRows = [];
  for (const n of NODE_COUNTS) {
    const bare = { spawn: [], afterLast: [] };
    const sides = {
      tls: { spawn: [], afterLast: [], startupHandshakeMs: [], warmHandshakeMs: [], rttMs: [] },
      plain: { spawn: [], afterLast: [], startupHandshakeMs: [], warmHandshakeMs: [], rttMs: [] },
    };
    for (let run = 0; run < RUNS; run++) {
      // Rotate the order so no side always runs on a warmer machine.
      const order = ['bare', 'tls', 'plain'];
      for (let k = 0; k < run % 3; k++) order.push(order.shift());
      for (const kind of order) {
        if (kind === 'bare') {
          const r = await runCluster(
            bareCommands(n),
            (x) => x.event === 'listening',
            (x) => x.event === 'all-reached',
          );
          bare.spawn.push(Math.max(...r.doneAt) - r.t0);
          bare.afterLast.push(Math.max(...r.doneAt) - Math.max(...r.listeningAt));
          await stopAll(r.children);
        } else {
          const tls = kind === 'tls';
          const side = sides[kind];
          const r = await runCluster(
            syncCommands(n, tls),
            (x) => x.msg === 'sync service listening',
            (x) => x.peersConnected === n - 1,
          );
          side.spawn.push(Math.max(...r.doneAt) - r.t0);
          side.afterLast.push(Math.max(...r.doneAt) - Math.max(...r.listeningAt));
          const metrics = await get(ipOf(0), '/metrics');
          const sum = metricValue(metrics, 'msk_sync_handshake_duration_seconds_sum\\{role="initiator"\\}');
          const count = metricValue(metrics, 'msk_sync_handshake_duration_seconds_count\\{role="initiator"\\}');
          if (count > 0) side.startupHandshakeMs.push((sum / count) * 1000);
          const key = r.commands[0].env.SYNC_REGISTRATION_KEY;
          for (let k = 0; k < 10; k++) {
            side.rttMs.push(await roundTripMs(ipOf(1), tls));
            side.warmHandshakeMs.push(await handshakeMs(ipOf(1), key, tls));
          }
          await stopAll(r.children);
        }
        await sleep(200);
      }
    }
    const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    const { tls, plain } = sides;
    rows.push([
      n,
      median(bare.spawn),
      median(tls.spawn),
      ratio(median(tls.spawn), median(bare.spawn)),
      median(plain.spawn),
      ratio(median(tls.spawn), median(plain.spawn)),
      median(bare.afterLast),
      median(tls.afterLast),
      ratio(median(tls.afterLast), median(bare.afterLast)),
    ]);
    for (const [label, side] of [
      ['TLS (default)', tls],
      ['SYNC_TLS=off', plain],
    ]) {
      handshakeRows.push([
        n,
        label,
        median(side.startupHandshakeMs).toFixed(1),
        median(side.warmHandshakeMs).toFixed(2),
        median(side.rttMs).toFixed(2),
        ratio(median(side.warmHandshakeMs), 2 * median(side.rttMs)),
      ]);
    }
    handshakeRows.push([
      n,
      'TLS / off',
      ratio(median(tls.startupHandshakeMs), median(plain.startupHandshakeMs)),
      ratio(median(tls.warmHandshakeMs), median(plain.warmHandshakeMs)),
      ratio(median(tls.rttMs), median(plain.rttMs)),
      '',
    ]);
  }
  const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v);
  console.log(
    `\nPeers connected: time from start until every node reports all peers connected (median of ${RUNS} runs, static discovery, loopback)\n`,
  );
  console.log(
    '| nodes | bare mesh: spawn → all met (ms) | msk-sync (TLS): spawn → all connected (ms) | ratio to bare | msk-sync SYNC_TLS=off (ms) | ratio TLS / off | bare: last listening → all met (ms) | msk-sync (TLS): last listening → all connected (ms) | ratio |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.map(fmt).join(' | ')} |`);
  console.log(
    '\nHandshake against bare round trips to the same running sync processes (median of 10 per run; every request opens its own connection, as unauthenticated ones get one answer each)\n',
  );
  console.log(
    '| nodes | transport | handshakes during start-up, mean (ms) | warm handshake: hello + confirm (ms) | GET /health round trip, a connection each (ms) | ratio warm handshake / 2 round trips |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of handshakeRows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    '\nTarget: all peers connected within 2000 ms of the last node starting (the setup guide says wait 30-60 s).',
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
