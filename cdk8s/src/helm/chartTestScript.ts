/**
 * What `helm test` runs, in a pod of the sync image (which has node): for every pod of the release, the sync
 * service's own count of connected peers must be replicas-1 (the number its status command prints as
 * "Peers Connected: N", read from its open /metrics endpoint: /status answers only loopback or signed peers);
 * then a session made on pod 0 (the first admin's sign-in) must be accepted by every other pod.
 *
 * The first admin's password is ADMIN_PASSWORD from the Secret, or the one every node derives from
 * NEXTAUTH_SECRET when it is unset (app/src/server/users/firstAdminRow.ts: HMAC-SHA256). Plain Node.js, no
 * dependency; it never prints a secret. Kept free of `{{` so Helm leaves it alone.
 */
export const CHART_TEST_SCRIPT = String.raw`'use strict';
const https = require('node:https');
const http = require('node:http');
const { createHmac } = require('node:crypto');

const env = process.env;
const replicas = Number(env.REPLICAS);
const deadline = Date.now() + Number(env.TEST_TIMEOUT_SECONDS || '180') * 1000;
const podHost = (n) => env.STATEFUL_SET + '-' + n + '.' + env.PEERS_DOMAIN;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function get(url) {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { timeout: 5000, rejectUnauthorized: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));
    request.on('error', reject);
  });
}

async function until(what, attempt) {
  let last = '';
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(what + ': ' + last);
    await sleep(2000);
  }
}

/** The sync service's peers_connected gauge: its metrics port first, then the sync port's /metrics. */
async function peersConnected(n) {
  const urls = ['http://' + podHost(n) + ':' + env.SYNC_METRICS_PORT + '/metrics', 'https://' + podHost(n) + ':' + env.SYNC_PORT + '/metrics'];
  const problems = [];
  for (const url of urls) {
    try {
      const answer = await get(url);
      const match = /^msk_sync_peers_connected(?:\{[^}]*\})? (\d+)/m.exec(answer.body);
      if (answer.status === 200 && match) return Number(match[1]);
      problems.push(url + ': HTTP ' + answer.status + (match ? '' : ', no msk_sync_peers_connected'));
    } catch (error) {
      problems.push(url + ': ' + (error instanceof Error ? error.message : String(error)));
    }
  }
  throw new Error(problems.join('; '));
}

function cookiesOf(response, jar) {
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';')[0];
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
  return [...jar].filter(([, v]) => v !== '').map(([k, v]) => k + '=' + v).join('; ');
}

async function signIn(base, email, password) {
  const jar = new Map();
  const csrf = await fetch(base + '/api/auth/csrf', { signal: AbortSignal.timeout(10000) });
  const { csrfToken } = await csrf.json();
  const login = await fetch(base + '/api/auth/callback/credentials', {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(csrf, jar) },
    body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
    signal: AbortSignal.timeout(10000),
  });
  await login.arrayBuffer();
  const cookie = cookiesOf(login, jar);
  if (![...jar.keys()].some((k) => k.endsWith('next-auth.session-token'))) {
    throw new Error('sign-in as ' + email + ' at ' + base + ' gave no session cookie (HTTP ' + login.status + ')');
  }
  return cookie;
}

async function sessionEmail(base, cookie) {
  const response = await fetch(base + '/api/auth/session', { headers: { cookie }, signal: AbortSignal.timeout(10000) });
  const session = await response.json();
  return session && session.user ? session.user.email : undefined;
}

async function main() {
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error('REPLICAS is not a positive whole number: ' + env.REPLICAS);
  for (let n = 0; n < replicas; n++) {
    const peers = await until(podHost(n) + ' should report ' + (replicas - 1) + ' connected peers', async () => {
      const count = await peersConnected(n);
      if (count !== replicas - 1) throw new Error('it reports ' + count);
      return count;
    });
    console.log(env.STATEFUL_SET + '-' + n + ': Peers Connected: ' + peers);
  }

  const email = (env.ADMIN_EMAIL || 'admin@example.com').toLowerCase();
  const password = env.ADMIN_PASSWORD || createHmac('sha256', env.NEXTAUTH_SECRET).update('msk first admin password v1\0' + email, 'utf8').digest().subarray(0, 18).toString('base64url');
  const app = (n) => 'http://' + podHost(n) + ':' + env.APP_PORT;
  const cookie = await until('signing in as the first admin (' + email + ') through ' + env.STATEFUL_SET + '-0', () => signIn(app(0), email, password));
  console.log('signed in as ' + email + ' through ' + env.STATEFUL_SET + '-0');
  for (let n = 0; n < replicas; n++) {
    await until(env.STATEFUL_SET + '-' + n + ' should accept the session made on ' + env.STATEFUL_SET + '-0', async () => {
      const seen = await sessionEmail(app(n), cookie);
      if (seen !== email) throw new Error('its /api/auth/session names ' + (seen === undefined ? 'no user' : seen));
    });
    console.log(env.STATEFUL_SET + '-' + n + ': accepts the session made on ' + env.STATEFUL_SET + '-0');
  }
  console.log('PASS: ' + replicas + ' pods, every one with ' + (replicas - 1) + ' peers connected and the same session');
}

main().catch((error) => {
  console.error('FAIL: ' + (error instanceof Error ? error.message : String(error)));
  process.exit(1);
});
`;
