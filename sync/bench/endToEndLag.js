'use strict';
/**
 * Benchmark: replication latency through the real service. A local cluster of 2 nodes (embedded PostgreSQL + app
 * + sync each, loopback 127.0.39.x); N times: POST /api/businesses on node 1 while polling both nodes' databases
 * for the row. Baseline in the same run and the same write: when the row is readable on node 1 (its local
 * commit). Prints p50/p99 of both and of their difference (the replication lag); asserts nothing.
 * Needs compiled kit + sync and a built app: `npm run build:ts` and `node kit/dist/cli/main.js build-app`.
 *   node sync/bench/endToEndLag.js [--writes N] [--sync-tls off]
 * (--sync-tls off: both nodes with SYNC_TLS=off, to compare with TLS, the default, in another run.)
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');
const { startLocalCluster } = require('../../kit/dist/cluster');

const ADDRESS_BLOCK = 39;
const writesArg = process.argv.indexOf('--writes');
const WRITES = writesArg > 0 ? Number(process.argv[writesArg + 1]) : 50;
const tlsArg = process.argv.indexOf('--sync-tls');
const SYNC_TLS = tlsArg > 0 ? process.argv[tlsArg + 1] : 'on';
/** One write that is not visible within this time counts as lost (and stops the run). */
const VISIBLE_TIMEOUT_MS = 10_000;
const STARTUP_TIMEOUT_MS = 180_000;
/** Pause between two polls of a database: leaves the 2 cores to the nodes (busy polling slowed them down and
 * inflated the lag it measured); resolution of every figure is about this plus one query (~0.5 ms). */
const POLL_PAUSE_MS = 1;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;

function readEnv(file) {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('=') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function cookiesOf(response, jar) {
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';')[0];
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
  return [...jar.entries()]
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

async function signIn(baseUrl, email, password) {
  const jar = new Map();
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  let cookie = cookiesOf(csrf, jar);
  const { csrfToken } = await csrf.json();
  const login = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
  });
  await login.arrayBuffer();
  cookie = cookiesOf(login, jar);
  if (!cookie.includes('session-token')) throw new Error(`sign-in at ${baseUrl} failed: HTTP ${login.status}`);
  return cookie;
}

async function database(nodeState, password) {
  const url = new URL(nodeState.postgresUrl);
  url.password = encodeURIComponent(password);
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/** Polls `client` from the moment the POST is sent until the business named `label` is there: ms since `started`. */
async function visibleAt(client, label, started) {
  for (let polls = 1; ; polls++) {
    const found = await client.query('SELECT 1 FROM businesses WHERE name = $1', [label]);
    const elapsedMs = performance.now() - started;
    if (found.rowCount === 1) return { ms: elapsedMs, polls };
    if (elapsedMs > VISIBLE_TIMEOUT_MS)
      throw new Error(`business "${label}" not visible within ${VISIBLE_TIMEOUT_MS} ms`);
    await sleep(POLL_PAUSE_MS);
  }
}

/**
 * One POST on node 1 while both databases are polled (hot loops, so neither poll pays a wake-up): when the row is
 * readable on node 1 (its commit, the baseline) and on node 2 (replicated). Both in ms from sending the POST.
 */
async function oneWrite(appUrl, cookie, local, remote, label) {
  const started = performance.now();
  const post = fetch(`${appUrl}/api/businesses`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name: label, type: 'retail' }),
  }).then(async (response) => {
    const answeredMs = performance.now() - started;
    if (response.status !== 201)
      throw new Error(`POST /api/businesses: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    return answeredMs;
  });
  const [answeredMs, onLocal, onRemote] = await Promise.all([
    post,
    visibleAt(local, label, started),
    visibleAt(remote, label, started),
  ]);
  return { answeredMs, localMs: onLocal.ms, remoteMs: onRemote.ms, remotePolls: onRemote.polls };
}

async function waitForReplication(cluster) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(
      cluster.nodes.map(async (n) => (await (await fetch(`${n.syncUrl}/status`)).json()).replication?.state),
    );
    if (states.every((s) => s === 'running')) return;
    if (Date.now() > deadline) throw new Error(`replication not running on every node: ${states.join(', ')}`);
    await sleep(200);
  }
}

async function main() {
  process.stdout.write(`starting a 2-node local cluster on 127.0.${ADDRESS_BLOCK}.x ...\n`);
  const overrides = SYNC_TLS === 'off' ? { 1: { SYNC_TLS: 'off' }, 2: { SYNC_TLS: 'off' } } : undefined;
  const cluster = await startLocalCluster({
    nodes: 2,
    addressBlock: ADDRESS_BLOCK,
    startupTimeoutMs: STARTUP_TIMEOUT_MS,
    ...(overrides ? { overrides } : {}),
  });
  const clients = [];
  try {
    // the nodes' postgresUrl names the embedded PostgreSQL's superuser, whose password the cluster keeps apart
    const password = readEnv(path.join(cluster.dataDir, 'config', 'postgres-superuser.env')).POSTGRES_PASSWORD;
    await waitForReplication(cluster);
    const [node1, node2] = cluster.nodes;
    const cookie = await signIn(node1.appUrl, cluster.admin.email, cluster.admin.password);
    const local = await database(node1, password);
    const remote = await database(node2, password);
    clients.push(local, remote);
    const metric = async (node, name) => {
      const text = await (await fetch(`${node.syncUrl}/metrics`)).text();
      // summed over label sets not named (e.g. every peer)
      const lines = text
        .split('\n')
        .filter((line) => line.startsWith(name + ' ') || (!name.includes('{') && line.startsWith(name + '{')));
      return lines.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    };
    const pullStats = async () => ({
      sum: await metric(node2, 'msk_sync_replication_pull_duration_seconds_sum'),
      count: await metric(node2, 'msk_sync_replication_pull_duration_seconds_count'),
      requests: await metric(node2, 'msk_sync_replication_request_duration_seconds_count{kind="pull"}'),
      rowPushed: await metric(node1, 'msk_sync_replication_pokes_sent_total{result="row-pushed"}'),
      pushed: await metric(node1, 'msk_sync_replication_pokes_sent_total{result="pushed"}'),
      poked: await metric(node1, 'msk_sync_replication_pokes_sent_total{result="poked"}'),
    });
    // warm-up: first requests compile routes, open pools
    for (let i = 0; i < 5; i++) await oneWrite(node1.appUrl, cookie, local, remote, `warm-up ${i} ${Date.now()}`);
    const results = [];
    const pullsBefore = await pullStats();
    for (let i = 0; i < WRITES; i++) {
      results.push(await oneWrite(node1.appUrl, cookie, local, remote, `lag ${i} ${Date.now()}`));
      await sleep(20); // writes one at a time, not a burst
    }
    const rows = [
      ['POST sent -> row readable on node 2 (replicated)', results.map((r) => r.remoteMs)],
      ['POST sent -> row readable on node 1 (local commit, baseline)', results.map((r) => r.localMs)],
      ['POST sent -> HTTP answer', results.map((r) => r.answeredMs)],
      ['replication lag: readable on node 2 - readable on node 1', results.map((r) => r.remoteMs - r.localMs)],
    ];
    process.stdout.write(
      `\nSYNC_TLS=${SYNC_TLS}; ${WRITES} single-row writes through node 1's app API, one at a time; SYNC_INTERVAL is only the fallback (pokes carry the changes or make node 2 pull)\n`,
    );
    process.stdout.write(`${'measure'.padEnd(64)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}\n`);
    for (const [name, values] of rows) {
      process.stdout.write(
        `${name.padEnd(64)}${fmt(quantile(values, 0.5)).padStart(10)}${fmt(quantile(values, 0.99)).padStart(10)}${fmt(Math.max(...values)).padStart(10)}\n`,
      );
    }
    const pullsAfter = await pullStats();
    const delta = (key) => pullsAfter[key] - pullsBefore[key];
    process.stdout.write(
      `node 1 pokes meanwhile: ${delta('rowPushed')} sent the committed row ahead of the log, ${delta('pushed')} carried the changes (push), ${delta('poked')} asked for a pull; ` +
        `node 2 applied ${delta('count')} batches, mean ${((delta('sum') / delta('count')) * 1000).toFixed(1)} ms each ` +
        `(msk_sync_replication_pull_duration_seconds), and sent ${delta('requests')} pull requests\n`,
    );
    const remote50 = quantile(rows[0][1], 0.5);
    const local50 = quantile(rows[1][1], 0.5);
    process.stdout.write(
      `ratio of p50s, replicated / local: ${(remote50 / local50).toFixed(2)}x; node 2 polls per write p50 ${quantile(
        results.map((r) => r.remotePolls),
        0.5,
      )}\n`,
    );
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    await cluster.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
