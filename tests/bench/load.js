'use strict';
/**
 * Load: many concurrent sessions signing in and reading/writing businesses through /api/businesses, on one node
 * directly (a) and on two nodes behind the local cluster's entry point (b), side by side in the same run (phases
 * alternate a, b, a, b on one 2-node cluster, so both see the same data growth). Also the cost of a cross-node
 * session check (GET /api/auth/session with a cookie issued by the other node) against a same-node one.
 * Loopback only (127.0.12.x), bounded in count and time, exits by itself. Prints tables; asserts nothing.
 * Needs the compiled kit and the built app: `npx tsc -b kit && npm run build -w app` (npm run bench builds kit).
 *   node tests/bench/load.js [--sessions N] [--ops N] [--rounds N]
 */
const { performance } = require('node:perf_hooks');
const { setTimeout } = require('node:timers');
const { URLSearchParams } = require('node:url');
const { startLocalCluster } = require('../../kit/dist/cluster/index.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ADDRESS_BLOCK = 12;
const SESSIONS = arg('sessions', 16);
/** API requests per session per phase: 3 reads (list) for each write (create). */
const OPS_PER_SESSION = arg('ops', 24);
const ROUNDS = arg('rounds', 2);
const SESSION_CHECKS = arg('checks', 200);
const PHASE_TIME_LIMIT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
const TOTAL_TIME_LIMIT_MS = 10 * 60_000;

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

function cookiesOf(response) {
  const jar = new Map();
  for (const header of response.headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
  return jar;
}

async function signIn(baseUrl, email, password) {
  const csrfResponse = await fetch(`${baseUrl}/api/auth/csrf`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const jar = cookiesOf(csrfResponse);
  const { csrfToken } = await csrfResponse.json();
  const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const login = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
  });
  await login.arrayBuffer();
  const session = cookiesOf(login).get('next-auth.session-token');
  if (!session) throw new Error(`sign-in as ${email} at ${baseUrl}: HTTP ${login.status}, no session cookie`);
  return `next-auth.session-token=${session}`;
}

async function call(baseUrl, cookie, method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await response.arrayBuffer();
  return response.status;
}

/** One phase: every session signs in at `baseUrl`, then runs its requests there; all sessions at once. */
async function runPhase(label, baseUrl, users) {
  const apiLatencies = [];
  const loginLatencies = [];
  let errors = 0;
  let requests = 0;
  const deadline = Date.now() + PHASE_TIME_LIMIT_MS;
  const started = performance.now();
  await Promise.all(
    users.map(async (user, s) => {
      let cookie;
      const t0 = performance.now();
      try {
        cookie = await signIn(baseUrl, user.email, user.password);
        loginLatencies.push(performance.now() - t0);
      } catch {
        errors++;
        return;
      }
      for (let i = 0; i < OPS_PER_SESSION && Date.now() < deadline; i++) {
        const write = i % 4 === 3;
        const t = performance.now();
        try {
          const status = write
            ? await call(baseUrl, cookie, 'POST', '/api/businesses', {
                name: `Load ${label} s${s} #${i}`,
                type: 'services',
              })
            : await call(baseUrl, cookie, 'GET', '/api/businesses');
          if (status !== (write ? 201 : 200)) errors++;
        } catch {
          errors++;
        }
        requests++;
        apiLatencies.push(performance.now() - t);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return { label, elapsedMs, requests, errors, apiLatencies, loginLatencies };
}

function merge(results) {
  return {
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    elapsedMs: results.reduce((n, r) => n + r.elapsedMs, 0),
    apiLatencies: results.flatMap((r) => r.apiLatencies),
    loginLatencies: results.flatMap((r) => r.loginLatencies),
  };
}

async function sessionCheckLatencies(url, cookie, count) {
  const latencies = [];
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const response = await fetch(`${url}/api/auth/session`, {
      headers: { cookie },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = await response.json().catch(() => ({}));
    latencies.push(performance.now() - t);
    if (!body.user) errors++;
  }
  return { latencies, errors };
}

const fmt = (n, digits = 1) => (!Number.isFinite(n) ? '-' : Number.isInteger(n) ? String(n) : n.toFixed(digits));

async function main() {
  const hardStop = setTimeout(() => {
    process.stderr.write(`load: gave up after ${TOTAL_TIME_LIMIT_MS} ms\n`);
    process.exit(1);
  }, TOTAL_TIME_LIMIT_MS);
  hardStop.unref();

  process.stdout.write(`starting a 2-node local cluster on 127.0.${ADDRESS_BLOCK}.x ...\n`);
  const cluster = await startLocalCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK });
  try {
    const [node1, node2] = cluster.nodes;
    // Each node seeds the admin; the load users are created on every node (a node answers 409 if replication
    // brought the user over already), so sign-ins work wherever the entry point sends them.
    const users = Array.from({ length: SESSIONS }, (_, i) => ({
      email: `load-user-${i}@example.com`,
      name: `Load user ${i}`,
      password: `load-user-password-${i}`,
    }));
    for (const node of [node1, node2]) {
      const admin = await signIn(node.appUrl, cluster.admin.email, cluster.admin.password);
      for (const user of users) {
        const status = await call(node.appUrl, admin, 'POST', '/api/users', { ...user, role: 'member' });
        if (status !== 201 && status !== 409) throw new Error(`creating ${user.email} on ${node.name}: HTTP ${status}`);
      }
    }

    const phases = { one: [], two: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      phases.one.push(await runPhase(`1-node r${round}`, node1.appUrl, users));
      phases.two.push(await runPhase(`2-nodes r${round}`, cluster.entryUrl, users));
    }
    const one = merge(phases.one);
    const two = merge(phases.two);
    const rps = (r) => (r.requests / r.elapsedMs) * 1000;
    const rows = [
      ['requests/s (API)', rps(one), rps(two)],
      ['API p50 ms', percentile(one.apiLatencies, 50), percentile(two.apiLatencies, 50)],
      ['API p99 ms', percentile(one.apiLatencies, 99), percentile(two.apiLatencies, 99)],
      ['sign-in p50 ms', percentile(one.loginLatencies, 50), percentile(two.loginLatencies, 50)],
      ['sign-in p99 ms', percentile(one.loginLatencies, 99), percentile(two.loginLatencies, 99)],
      ['API requests', one.requests, two.requests],
      ['errors (requests + sign-ins)', one.errors, two.errors],
    ];
    process.stdout.write(
      `\n${SESSIONS} concurrent sessions x ${OPS_PER_SESSION} API requests (3 GET list : 1 POST), ${ROUNDS} rounds each, alternating\n\n` +
        '| measure | (a) 1 node, direct | (b) 2 nodes, entry point | b / a |\n|---|---|---|---|\n' +
        rows.map(([name, a, b]) => `| ${name} | ${fmt(a)} | ${fmt(b)} | ${a > 0 ? fmt(b / a, 2) : '-'} |`).join('\n') +
        '\n',
    );

    // Cross-node session check: a cookie issued by node 1, read on node 1 and on node 2, interleaved in chunks.
    const cookie = await signIn(node1.appUrl, users[0].email, users[0].password);
    await sessionCheckLatencies(node1.appUrl, cookie, 10);
    await sessionCheckLatencies(node2.appUrl, cookie, 10);
    const same = { latencies: [], errors: 0 };
    const cross = { latencies: [], errors: 0 };
    for (let i = 0; i < SESSION_CHECKS; i += 20) {
      for (const [target, into] of [
        [node1.appUrl, same],
        [node2.appUrl, cross],
      ]) {
        const r = await sessionCheckLatencies(target, cookie, 20);
        into.latencies.push(...r.latencies);
        into.errors += r.errors;
      }
    }
    const checkRows = [
      ['p50 ms', percentile(same.latencies, 50), percentile(cross.latencies, 50)],
      ['p99 ms', percentile(same.latencies, 99), percentile(cross.latencies, 99)],
      ['errors (no user)', same.errors, cross.errors],
    ];
    process.stdout.write(
      `\nGET /api/auth/session, ${SESSION_CHECKS} each, cookie issued by ${node1.name}\n\n` +
        `| measure | same node (${node1.name}) | other node (${node2.name}) | other / same |\n|---|---|---|---|\n` +
        checkRows
          .map(([name, a, b]) => `| ${name} | ${fmt(a, 2)} | ${fmt(b, 2)} | ${a > 0 ? fmt(b / a, 2) : '-'} |`)
          .join('\n') +
        '\n',
    );
  } finally {
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`load: ${error.stack || error}\n`);
    process.exit(1);
  },
);
