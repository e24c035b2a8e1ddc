'use strict';
/**
 * Database topology: N app nodes on ONE shared PostgreSQL (`--database shared`, replication off) against N nodes
 * each with its own PostgreSQL (`per-node`, the sync services replicating), through the apps' real HTTP API.
 * For each N, both clusters run at the same time (so both see the same neighbours on the machine) and the phases
 * alternate (per-node then shared, then shared then per-node, ...), so the ratios compare measurements taken side
 * by side:
 *   - write throughput: WRITERS concurrent clients POSTing /api/businesses, round-robin over the nodes' apps;
 *   - read latency: GET /api/businesses/:id of a row written earlier, one at a time, round-robin over the nodes;
 *   - cross-node visibility: a write acknowledged by one node, then GET of it on the next node until it answers
 *     200. per-node pays the replication lag here; shared answers on the first read.
 * Loopback only (127.0.15.x and 127.0.16.x), bounded in count and time, exits by itself. Prints tables of ratios;
 * asserts nothing. Needs the compiled kit and the built app (`npm run bench` builds both).
 *   node tests/bench/topology.js [--nodes 2,3] [--writes 240] [--writers 8] [--reads 300] [--lag-samples 60] [--rounds 2]
 */
const { cpus, loadavg } = require('node:os');
const { performance } = require('node:perf_hooks');
const { setTimeout } = require('node:timers');
const { URLSearchParams } = require('node:url');
const { startLocalCluster } = require('../../kit/dist/cluster/index.js');
const { stopAfter } = require('./benchProcess');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const NODE_COUNTS = String(arg('nodes', '2,3')).split(',').map(Number);
const WRITES = Number(arg('writes', 240));
const WRITERS = Number(arg('writers', 8));
const READS = Number(arg('reads', 300));
const LAG_SAMPLES = Number(arg('lag-samples', 60));
const ROUNDS = Number(arg('rounds', 2));
const BLOCKS = { 'per-node': 15, shared: 16 };
const REQUEST_TIMEOUT_MS = 15_000;
const VISIBILITY_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 120_000;
const TOTAL_TIME_LIMIT_MS = 20 * 60_000;

for (const [name, value] of [
  ['nodes', NODE_COUNTS],
  ['writes', [WRITES]],
  ['writers', [WRITERS]],
  ['reads', [READS]],
  ['lag-samples', [LAG_SAMPLES]],
  ['rounds', [ROUNDS]],
]) {
  if (
    value.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000) ||
    (name === 'nodes' && value.some((n) => n < 2 || n > 5))
  ) {
    process.stderr.write(
      `topology: --${name} must be ${name === 'nodes' ? 'a comma-separated list of node counts from 2 to 5' : 'a whole number from 1 to 10000'}\n`,
    );
    process.exit(2);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const fmt = (n, digits = 1) => (!Number.isFinite(n) ? '-' : Number.isInteger(n) ? String(n) : n.toFixed(digits));
const progress = (line) => process.stdout.write(`  ${line}\n`);

async function signIn(baseUrl, email, password) {
  const csrfResponse = await fetch(`${baseUrl}/api/auth/csrf`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const jar = new Map();
  for (const header of csrfResponse.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
  const { csrfToken } = await csrfResponse.json();
  const login = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
  });
  await login.arrayBuffer();
  const session = login.headers.getSetCookie().find((c) => c.startsWith('next-auth.session-token='));
  if (!session) throw new Error(`sign-in as ${email} at ${baseUrl}: HTTP ${login.status}, no session cookie`);
  return session.split(';')[0];
}

async function createBusiness(baseUrl, cookie, name) {
  const response = await fetch(`${baseUrl}/api/businesses`, {
    method: 'POST',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { cookie, 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ name, type: 'services' }),
  });
  const text = await response.text();
  if (response.status !== 201)
    throw new Error(`POST ${baseUrl}/api/businesses: HTTP ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text).id;
}

async function readBusiness(baseUrl, cookie, id) {
  const response = await fetch(`${baseUrl}/api/businesses/${id}`, {
    headers: { cookie },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Waits until every node's sync service says the topology is in effect: replication running, or the database shared with all others. */
async function topologyInEffect(cluster, topology) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const states = await Promise.all(
      cluster.nodes.map(async (node) => {
        try {
          const status = await (
            await fetch(`${node.syncUrl}/status`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
          ).json();
          return topology === 'shared'
            ? status.database?.sharedWith?.length === cluster.nodes.length - 1 && !status.database?.problem
            : status.replication?.state === 'running' && status.peersConnected === cluster.nodes.length - 1;
        } catch {
          return false;
        }
      }),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`${topology}: the topology was not in effect on every node within ${READY_TIMEOUT_MS} ms`);
    await sleep(200);
  }
}

/** WRITES creates from WRITERS concurrent clients, round-robin over the nodes' apps. */
async function writePhase(contender, round) {
  const { cluster, cookie } = contender;
  let next = 0;
  const latencies = [];
  const ids = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let n = next++; n < WRITES; n = next++) {
        const node = cluster.nodes[n % cluster.nodes.length];
        const t = performance.now();
        ids.push(await createBusiness(node.appUrl, cookie, `topology ${contender.topology} r${round} #${n}`));
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { elapsedMs: performance.now() - started, latencies, ids };
}

/** READS single-row reads, one at a time, round-robin over the nodes. */
async function readPhase(contender, ids) {
  const { cluster, cookie } = contender;
  const latencies = [];
  for (let n = 0; n < READS; n++) {
    const node = cluster.nodes[n % cluster.nodes.length];
    const id = ids[(n * 7919) % ids.length];
    const t = performance.now();
    const status = await readBusiness(node.appUrl, cookie, id);
    latencies.push(performance.now() - t);
    // per-node: a row written a moment ago through another node may not be there yet; count it, don't hide it
    if (status !== 200) contender.readMisses++;
  }
  return latencies;
}

/** LAG_SAMPLES: write through node k, then read it through node k+1 until 200; the time from the write's 201 to that 200. */
async function visibilityPhase(contender, round) {
  const { cluster, cookie } = contender;
  const lags = [];
  const firstReadHits = [];
  for (let n = 0; n < LAG_SAMPLES; n++) {
    const writer = cluster.nodes[n % cluster.nodes.length];
    const reader = cluster.nodes[(n + 1) % cluster.nodes.length];
    const id = await createBusiness(writer.appUrl, cookie, `visibility ${contender.topology} r${round} #${n}`);
    const acknowledged = performance.now();
    let reads = 0;
    for (;;) {
      reads++;
      if ((await readBusiness(reader.appUrl, cookie, id)) === 200) break;
      if (performance.now() - acknowledged > VISIBILITY_TIMEOUT_MS)
        throw new Error(`${contender.topology}: ${id} not visible on ${reader.name} after ${VISIBILITY_TIMEOUT_MS} ms`);
    }
    lags.push(performance.now() - acknowledged);
    firstReadHits.push(reads === 1 ? 1 : 0);
    await sleep(20);
  }
  return { lags, firstReadHits };
}

async function start(topology, nodes) {
  const t = performance.now();
  progress(
    `starting ${nodes} nodes, ${topology === 'shared' ? 'one shared PostgreSQL' : 'a PostgreSQL each, replicating'}, on 127.0.${BLOCKS[topology]}.x ...`,
  );
  const cluster = await startLocalCluster({
    nodes,
    addressBlock: BLOCKS[topology],
    entryPort: 8080,
    database: topology,
    startupTimeoutMs: READY_TIMEOUT_MS * 2,
  });
  const contender = {
    topology,
    cluster,
    cookie: '',
    readMisses: 0,
    writes: [],
    reads: [],
    lags: [],
    firstReadHits: [],
  };
  try {
    await topologyInEffect(cluster, topology);
    contender.cookie = await signIn(cluster.nodes[0].appUrl, cluster.admin.email, cluster.admin.password);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  progress(`${topology}: ready in ${fmt((performance.now() - t) / 1000)} s`);
  return contender;
}

async function compare(nodes) {
  process.stdout.write(
    `\n${nodes} app nodes: per-node (a PostgreSQL each, replication on) vs shared (one PostgreSQL), side by side\n`,
  );
  const loadBefore = loadavg()[0];
  const contenders = [];
  try {
    contenders.push(await start('per-node', nodes));
    contenders.push(await start('shared', nodes));
    // warm-up: the first requests of each app compile routes and open pools
    for (const c of contenders) {
      for (const node of c.cluster.nodes) {
        const id = await createBusiness(node.appUrl, c.cookie, `warm-up ${node.name}`);
        for (const other of c.cluster.nodes) await readBusiness(other.appUrl, c.cookie, id);
      }
    }
    for (let round = 1; round <= ROUNDS; round++) {
      // who goes first alternates too: neither contender always runs on a machine the other just warmed or loaded
      const order = round % 2 === 1 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const w = await writePhase(c, round);
        c.writes.push(w);
        progress(`round ${round}/${ROUNDS} ${c.topology}: ${WRITES} writes in ${fmt(w.elapsedMs / 1000, 2)} s`);
      }
      // per-node: let replication finish the burst before reads, so reads measure reads, not catch-up
      await sleep(1_000);
      for (const c of order) {
        c.reads.push(...(await readPhase(c, c.writes[c.writes.length - 1].ids)));
        const v = await visibilityPhase(c, round);
        c.lags.push(...v.lags);
        c.firstReadHits.push(...v.firstReadHits);
        progress(
          `round ${round}/${ROUNDS} ${c.topology}: ${READS} reads, ${LAG_SAMPLES} cross-node visibility samples`,
        );
      }
    }
  } finally {
    for (const c of contenders) await c.cluster.stop();
  }
  const [perNode, shared] = contenders;
  const writesPerSecond = (c) =>
    (c.writes.length * WRITES) / (c.writes.reduce((sum, w) => sum + w.elapsedMs, 0) / 1000);
  const writeLatencies = (c) => c.writes.flatMap((w) => w.latencies);
  const firstReadShare = (c) => c.firstReadHits.reduce((a, b) => a + b, 0) / c.firstReadHits.length;
  const rows = [
    ['write throughput, creates/s', writesPerSecond(perNode), writesPerSecond(shared)],
    ['write latency p50 ms', percentile(writeLatencies(perNode), 50), percentile(writeLatencies(shared), 50)],
    ['write latency p99 ms', percentile(writeLatencies(perNode), 99), percentile(writeLatencies(shared), 99)],
    ['read latency p50 ms', percentile(perNode.reads, 50), percentile(shared.reads, 50)],
    ['read latency p99 ms', percentile(perNode.reads, 99), percentile(shared.reads, 99)],
    ['written on one node, readable on the next: p50 ms', percentile(perNode.lags, 50), percentile(shared.lags, 50)],
    ['written on one node, readable on the next: p99 ms', percentile(perNode.lags, 99), percentile(shared.lags, 99)],
    ['... readable on the first read (share)', firstReadShare(perNode), firstReadShare(shared)],
  ];
  // shared's visibility is one read (the same database); what per-node takes beyond it is its replication lag
  const lagP50 = percentile(perNode.lags, 50) - percentile(shared.lags, 50);
  const lagP99 = percentile(perNode.lags, 99) - percentile(shared.lags, 99);
  process.stdout.write(
    `\n${ROUNDS} rounds alternating; per round ${WRITES} creates from ${WRITERS} clients, ${READS} single-row reads, ${LAG_SAMPLES} visibility samples\n\n` +
      `| measure (${nodes} nodes) | per-node | shared | shared / per-node |\n|---|---|---|---|\n` +
      rows
        .map(([name, a, b]) => `| ${name} | ${fmt(a, 2)} | ${fmt(b, 2)} | ${a > 0 ? fmt(b / a, 2) : '-'} |`)
        .join('\n') +
      `\n| reads answered 404 (row not there yet) | ${perNode.readMisses} | ${shared.readMisses} | |\n` +
      `\nreplication lag per-node pays (its visibility minus shared's, read through HTTP, resolution one read): p50 ${fmt(lagP50, 2)} ms, p99 ${fmt(lagP99, 2)} ms\n` +
      `load average (1 min) before / after: ${fmt(loadBefore, 2)} / ${fmt(loadavg()[0], 2)} on ${cpus().length} cores (above the core count, absolute figures are noisy: read the ratios)\n`,
  );
}

async function main() {
  stopAfter('topology', TOTAL_TIME_LIMIT_MS);
  for (const nodes of NODE_COUNTS) await compare(nodes);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`topology: ${error.stack || error}\n`);
    process.exit(1);
  },
);
