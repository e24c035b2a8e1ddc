/**
 * Fault injection on the local cluster, shared by tests/integration/faults.test.ts (bounded) and
 * tests/soak/soak.js (long run): a retrying write client that only counts 2xx-acknowledged writes, convergence
 * checks on every node's database (the engine's per-table hashes), a seeded PRNG and the random fault mix
 * (kill -9 of sync, app or PostgreSQL, node restart, node wipe, a node's clock seconds ahead).
 */
import { rmSync } from 'node:fs';
import { type Server, type Socket, createServer, connect } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'pg';
import { readEnvFile, type StartedLocalCluster } from '@msk/kit/cluster';
import { type ReplicatedTable, introspectTables, postgresTableHashes } from '@msk/replication';
import { REFERENCE_APP_REPLICATED_TABLES } from '../../kit/src/contract';
import { eventually as pollUntil } from './eventually';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** mulberry32: a tiny seeded PRNG, enough to replay a fault mix from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `eventually` with the arguments in the order these tests write them. */
export function eventually<T>(what: string, probe: () => Promise<T>, timeoutMs: number, intervalMs = 250): Promise<T> {
  return pollUntil(probe, { what, timeoutMs, intervalMs });
}

// ---------------------------------------------------------------------------------------------- HTTP client

/** What the client retries: the request never reached an app (connection errors) or the entry point said so. */
const RETRYABLE_STATUS = new Set([502, 503]);

export interface ClientCounters {
  requests: number;
  retries: number;
  /** Requests that failed in a way the client does not retry (or ran out of retries). */
  failures: Array<{ what: string; detail: string }>;
}

export const newCounters = (): ClientCounters => ({ requests: 0, retries: 0, failures: [] });

/** One request, retried on connection errors and 502/503 up to maxAttempts; returns the last response or throws. */
export async function retryingFetch(
  url: string,
  init: RequestInit,
  counters: ClientCounters,
  maxAttempts = 30,
  backoffMs = 200,
): Promise<{ status: number; text: string; headers: Headers }> {
  counters.requests++;
  let last = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) {
      counters.retries++;
      await sleep(backoffMs);
    }
    try {
      const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
      const text = await response.text();
      if (RETRYABLE_STATUS.has(response.status)) {
        last = `HTTP ${response.status} ${text.slice(0, 200)}`;
        continue;
      }
      return { status: response.status, text, headers: response.headers };
    } catch (error) {
      last = error instanceof Error ? `${error.message}${(error as { cause?: { code?: string } }).cause?.code ? ` (${(error as { cause?: { code?: string } }).cause?.code})` : ''}` : String(error);
    }
  }
  throw new Error(`gave up after ${maxAttempts} attempts: ${last}`);
}

export interface Session {
  readonly cookie: string;
}

function setCookies(headers: Headers): Map<string, string> {
  const jar = new Map<string, string>();
  for (const header of headers.getSetCookie()) {
    const [pair] = header.split(';');
    const eq = (pair ?? '').indexOf('=');
    if (eq > 0) jar.set((pair as string).slice(0, eq).trim(), (pair as string).slice(eq + 1));
  }
  return jar;
}

/** NextAuth credentials sign-in (CSRF token + callback), each step retried like every other request. */
export async function signInRetrying(baseUrl: string, email: string, password: string, counters: ClientCounters): Promise<Session> {
  const csrf = await retryingFetch(`${baseUrl}/api/auth/csrf`, {}, counters);
  if (csrf.status !== 200) throw new Error(`GET /api/auth/csrf: HTTP ${csrf.status}`);
  const jar = setCookies(csrf.headers);
  const { csrfToken } = JSON.parse(csrf.text) as { csrfToken: string };
  const cookie = () => [...jar.entries()].filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');
  const login = await retryingFetch(
    `${baseUrl}/api/auth/callback/credentials`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
      body: new URLSearchParams({ csrfToken, email, password, json: 'true' }).toString(),
    },
    counters,
  );
  for (const [k, v] of setCookies(login.headers)) jar.set(k, v);
  if (![...jar.keys()].some((k) => k.endsWith('next-auth.session-token'))) {
    throw new Error(`sign-in at ${baseUrl}: HTTP ${login.status}, no session cookie`);
  }
  return { cookie: cookie() };
}

/** Creates one business; returns its id when the app acknowledged it with 2xx, undefined otherwise. */
export async function writeBusiness(baseUrl: string, session: Session, name: string, counters: ClientCounters): Promise<string | undefined> {
  try {
    const answer = await retryingFetch(
      `${baseUrl}/api/businesses`,
      { method: 'POST', headers: { cookie: session.cookie, 'content-type': 'application/json', origin: baseUrl }, body: JSON.stringify({ name, type: 'retail' }) },
      counters,
    );
    if (answer.status >= 200 && answer.status < 300) return (JSON.parse(answer.text) as { id: string }).id;
    counters.failures.push({ what: `POST ${baseUrl}/api/businesses`, detail: `HTTP ${answer.status} ${answer.text.slice(0, 200)}` });
  } catch (error) {
    counters.failures.push({ what: `POST ${baseUrl}/api/businesses`, detail: error instanceof Error ? error.message : String(error) });
  }
  return undefined;
}

/**
 * Writers streaming businesses until stopped; `targets()` is read before every write, so a fault can move the
 * stream (e.g. away from a node about to be wiped). Every acknowledged id lands in `acknowledged`.
 */
export class WriteStream {
  readonly acknowledged: string[] = [];
  readonly counters = newCounters();
  private running = true;
  private readonly loops: Array<Promise<void>>;
  private sequence = 0;

  constructor(
    private readonly session: Session,
    private readonly targets: () => readonly string[],
    label: string,
    concurrency = 2,
    pauseMs = 30,
  ) {
    this.loops = Array.from({ length: concurrency }, async () => {
      while (this.running) {
        const list = this.targets();
        const target = list[this.sequence % list.length] as string;
        const n = this.sequence++;
        const id = await writeBusiness(target, this.session, `${label} ${n}`, this.counters);
        if (id) this.acknowledged.push(id);
        await sleep(pauseMs);
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

// ------------------------------------------------------------------------------------------- cluster checks

export type Hashes = Record<string, string>;

/** Reads every node's database directly (fresh connections each time: nodes' PostgreSQL come and go). */
export class ClusterDatabases {
  private tables: ReplicatedTable[] | undefined;
  private readonly password: string;

  /** `tableNames`: the cluster's REPLICATED_TABLES (another app's, with --app). */
  constructor(
    private readonly cluster: StartedLocalCluster,
    private readonly tableNames: readonly string[] = REFERENCE_APP_REPLICATED_TABLES,
  ) {
    this.password = readEnvFile(join(cluster.dataDir, 'config', 'postgres-superuser.env')).POSTGRES_PASSWORD ?? '';
  }

  async query<T>(index: number, run: (pool: Pool) => Promise<T>): Promise<T> {
    const node = this.cluster.nodes[index - 1];
    if (!node) throw new Error(`no node ${index}`);
    const url = new URL(node.postgresUrl);
    url.password = encodeURIComponent(this.password);
    const pool = new Pool({ connectionString: url.toString(), max: 1, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined);
    try {
      return await run(pool);
    } finally {
      await pool.end().catch(() => undefined);
    }
  }

  async hashesOf(index: number): Promise<Hashes> {
    if (!this.tables) this.tables = await this.query(1, (pool) => introspectTables(pool, this.tableNames));
    const tables = this.tables;
    return this.query(index, (pool) => postgresTableHashes(pool, tables));
  }

  /** Waits (bounded) until every node's per-table hashes are equal and `check` holds; returns them. */
  async quiesce(timeoutMs: number, check: (hashes: Hashes) => boolean = () => true): Promise<Hashes> {
    return eventually(
      'every node\'s per-table hashes becoming equal',
      async () => {
        const all = await Promise.all(this.cluster.nodes.map((n) => this.hashesOf(n.index)));
        const first = JSON.stringify(all[0]);
        if (!all.every((h) => JSON.stringify(h) === first)) throw new Error(`hashes differ: ${all.map((h) => JSON.stringify(h)).join(' | ')}`);
        if (!check(all[0] as Hashes)) throw new Error(`equal, but not the expected state: ${first}`);
        return all[0] as Hashes;
      },
      timeoutMs,
      500,
    );
  }

  /** Per node: the acknowledged business ids it does NOT have. */
  async missingOnEachNode(ids: readonly string[]): Promise<Record<string, string[]>> {
    const result: Record<string, string[]> = {};
    for (const node of this.cluster.nodes) {
      const present = await this.query(node.index, async (pool) => new Set((await pool.query<{ id: string }>('SELECT id::text AS id FROM businesses WHERE id = ANY($1::uuid[])', [ids])).rows.map((r) => r.id)));
      result[node.name] = ids.filter((id) => !present.has(id));
    }
    return result;
  }
}

export const rowCount = (hash: string | undefined) => Number((hash ?? '').split(':')[0]);

export interface RollingRestartOutcome {
  readonly rounds: number;
  readonly counters: ClientCounters;
  readonly acknowledged: string[];
  /** Rounds where the session read did not show the signed-in user, or cleared the cookie. */
  readonly logouts: string[];
}

/**
 * Stops and starts every node in turn while one client signs in (again every 5 rounds), reads its session and
 * writes a business through the entry point, each request retried like a real client would.
 */
export async function rollingRestartUnderLoad(cluster: StartedLocalCluster, label: string): Promise<RollingRestartOutcome> {
  const counters = newCounters();
  const acknowledged: string[] = [];
  const logouts: string[] = [];
  let running = true;
  let rounds = 0;
  const client = (async () => {
    let current = await signInRetrying(cluster.entryUrl, cluster.admin.email, cluster.admin.password, counters);
    while (running) {
      rounds++;
      if (rounds % 5 === 0) {
        try {
          current = await signInRetrying(cluster.entryUrl, cluster.admin.email, cluster.admin.password, counters);
        } catch (error) {
          counters.failures.push({ what: 'sign-in', detail: error instanceof Error ? error.message : String(error) });
        }
      }
      try {
        const answer = await retryingFetch(`${cluster.entryUrl}/api/auth/session`, { headers: { cookie: current.cookie } }, counters);
        const user = (JSON.parse(answer.text || '{}') as { user?: { email?: string } }).user;
        const cleared = answer.headers.getSetCookie().some((c) => /next-auth\.session-token=;/.test(c));
        if (answer.status !== 200 || user?.email !== cluster.admin.email || cleared) logouts.push(`round ${rounds}: HTTP ${answer.status} ${answer.text.slice(0, 100)}${cleared ? ' (cookie cleared)' : ''}`);
      } catch (error) {
        counters.failures.push({ what: 'GET /api/auth/session', detail: error instanceof Error ? error.message : String(error) });
      }
      const id = await writeBusiness(cluster.entryUrl, current, `${label} ${rounds}`, counters);
      if (id) acknowledged.push(id);
      await sleep(20);
    }
  })();
  try {
    await sleep(500);
    for (const node of cluster.nodes) {
      await cluster.stopNode(node.index);
      await sleep(500);
      await cluster.startNode(node.index);
      await sleep(500);
    }
  } finally {
    running = false;
    await client;
  }
  console.log(`${label}: ${rounds} rounds, ${counters.requests} requests, ${counters.retries} retries, ${acknowledged.length} writes acknowledged`);
  return { rounds, counters, acknowledged, logouts };
}

export async function syncRunningEverywhere(cluster: StartedLocalCluster, timeoutMs: number): Promise<void> {
  await eventually(
    'replication running on every node',
    async () => {
      for (const n of cluster.nodes) {
        const status = (await (await fetch(`${n.syncUrl}/status`)).json()) as { replication?: { state?: string } };
        if (status.replication?.state !== 'running') throw new Error(`${n.name}: ${JSON.stringify(status.replication)}`);
      }
    },
    timeoutMs,
  );
}

// ---------------------------------------------------------------------------------------------- fault mix

export type FaultKind = 'kill-sync' | 'kill-app' | 'kill-postgres' | 'restart-node' | 'wipe-node' | 'clock-ahead';
export const FAULT_KINDS: readonly FaultKind[] = ['kill-sync', 'kill-app', 'kill-postgres', 'restart-node', 'wipe-node', 'clock-ahead'];

/**
 * How far ahead a clock-ahead fault sets a node's clock (SYNC_CLOCK_OFFSET_MS): seconds, yet well inside the
 * default SYNC_MAX_CLOCK_SKEW_MS (10000) the fault-suite and soak clusters run with, so the node must stay in the
 * cluster. A clock beyond the bound is the separate drill in tests/integration/clockSkew.test.ts.
 */
export const CLOCK_AHEAD_MS = { min: 1_500, max: 4_000 } as const;

export interface FaultPlan {
  readonly kind: FaultKind;
  readonly node: number;
  /** How long the fault lasts (writes keep streaming) before it is healed. */
  readonly downMs: number;
  /** clock-ahead only: how far ahead the node's clock runs while skewed. */
  readonly clockOffsetMs?: number;
}

/** The same seed gives the same faults, in the same order: kinds, victims, durations and clock offsets. Endless. */
export function* faultSequence(seed: number, nodes: number): Generator<FaultPlan> {
  const random = seededRandom(seed);
  for (;;) {
    const kind = FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)] as FaultKind;
    const node = 1 + Math.floor(random() * nodes);
    const downMs = 300 + Math.floor(random() * 1700);
    if (kind !== 'clock-ahead') {
      yield { kind, node, downMs };
      continue;
    }
    const clockOffsetMs = CLOCK_AHEAD_MS.min + Math.floor(random() * (CLOCK_AHEAD_MS.max - CLOCK_AHEAD_MS.min + 1));
    yield { kind, node, downMs, clockOffsetMs };
  }
}

/** One plan as a short label for logs, e.g. `kill-sync@2/1151ms` or `clock-ahead@1/895ms+1719ms`. */
export const describePlan = (plan: FaultPlan): string =>
  `${plan.kind}@${plan.node}/${plan.downMs}ms${plan.clockOffsetMs === undefined ? '' : `+${plan.clockOffsetMs}ms`}`;

export function planFaults(seed: number, count: number, nodes: number): FaultPlan[] {
  const plans: FaultPlan[] = [];
  for (const plan of faultSequence(seed, nodes)) {
    if (plans.length >= count) break;
    plans.push(plan);
  }
  return plans;
}

export interface FaultOutcome {
  readonly plan: FaultPlan;
  readonly acknowledged: number;
  readonly unacknowledged: number;
  readonly lost: Record<string, string[]>;
  readonly hashesEqual: boolean;
  /** From injecting the fault to the node being started again (startNode resolved). */
  readonly healedAfterMs: number;
  readonly quiesceMs: number;
  /** Why writes went unacknowledged (HTTP status or error), counted: availability, not loss. */
  readonly unacknowledgedBy: Record<string, number>;
  readonly error?: string;
}

/**
 * A clock ahead within the bound must not cost the node its place: every node connected to all others, and a peer
 * measuring the skewed node's clock offsetMs ahead (so the skew really is in effect, not just configured).
 */
async function connectedWhileSkewed(cluster: StartedLocalCluster, index: number, offsetMs: number, timeoutMs: number): Promise<void> {
  const skewed = cluster.nodes[index - 1];
  const observer = cluster.nodes.find((n) => n.index !== index);
  if (!skewed || !observer) throw new Error(`clock-ahead needs node ${index} and another node`);
  await eventually(
    `${skewed.name}, ${offsetMs} ms ahead, connected to every node and measured ahead by ${observer.name}`,
    async () => {
      const counts = await cluster.peersConnected();
      if (Object.values(counts).some((n) => n !== cluster.nodes.length - 1)) throw new Error(`peers connected: ${JSON.stringify(counts)}`);
      const status = (await (await fetch(`${observer.syncUrl}/status`)).json()) as { peers?: Array<{ name: string | null; authState: string; clockSkewMs: number | null }> };
      const peer = status.peers?.find((p) => p.name === skewed.name);
      // (right after the reconnect, a peer may still show the skew it measured before the restart)
      if (peer?.authState !== 'authenticated' || Math.abs((peer.clockSkewMs ?? 0) - offsetMs) > 1_000) throw new Error(`${observer.name} sees ${JSON.stringify(peer)}`);
    },
    timeoutMs,
    100,
  );
}

/**
 * One fault under a write stream: writes through the entry point (or, for a wipe, straight to the other nodes:
 * a wiped disk legitimately loses what it had not yet sent), inject, wait downMs, heal, stop writing, quiesce,
 * then compare every node's hashes and look up every acknowledged id on every node. clock-ahead restarts the node
 * with its clock clockOffsetMs ahead, waits until the others accept it, keeps it so for downMs, then restarts it
 * with its clock fixed.
 */
export async function runFault(
  cluster: StartedLocalCluster,
  dbs: ClusterDatabases,
  session: Session,
  plan: FaultPlan,
  quiesceTimeoutMs: number,
  label = `${plan.kind} node ${plan.node}`,
): Promise<FaultOutcome> {
  const others = cluster.nodes.filter((n) => n.index !== plan.node).map((n) => n.appUrl);
  const targets = plan.kind === 'wipe-node' ? others : [cluster.entryUrl];
  const stream = new WriteStream(session, () => targets, label);
  let error: string | undefined;
  let injectedAt = Date.now();
  let healedAt = injectedAt;
  try {
    await sleep(400); // writes in flight before the fault
    injectedAt = Date.now();
    switch (plan.kind) {
      case 'kill-sync':
      case 'kill-app':
      case 'kill-postgres':
        await cluster.killProcess(plan.node, plan.kind.slice('kill-'.length) as 'sync' | 'app' | 'postgres');
        await sleep(plan.downMs);
        await cluster.startNode(plan.node);
        break;
      case 'restart-node':
        await cluster.stopNode(plan.node);
        await sleep(plan.downMs);
        await cluster.startNode(plan.node);
        break;
      case 'wipe-node':
        await cluster.stopNode(plan.node);
        rmSync(join(cluster.dataDir, `node-${plan.node}`, 'postgres'), { recursive: true, force: true });
        await sleep(plan.downMs);
        await cluster.startNode(plan.node);
        break;
      case 'clock-ahead': {
        const offsetMs = plan.clockOffsetMs ?? CLOCK_AHEAD_MS.max;
        await cluster.stopNode(plan.node);
        await cluster.startNode(plan.node, { SYNC_CLOCK_OFFSET_MS: String(offsetMs) });
        try {
          await connectedWhileSkewed(cluster, plan.node, offsetMs, 30_000);
          await sleep(plan.downMs);
        } finally {
          // heal even if the check failed; undefined drops the override: back to the node's own environment (offset 0)
          await cluster.stopNode(plan.node);
          await cluster.startNode(plan.node, { SYNC_CLOCK_OFFSET_MS: undefined });
        }
        const { warnings } = (await (await fetch(`${cluster.nodes[plan.node - 1]?.syncUrl}/status`)).json()) as { warnings: string[] };
        if (warnings.some((w) => w.includes('SYNC_CLOCK_OFFSET_MS'))) throw new Error(`node ${plan.node}'s clock is still shifted after the heal: ${warnings.join('; ')}`);
        break;
      }
    }
    healedAt = Date.now();
    await sleep(400); // writes in flight after the heal
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  } finally {
    await stream.stop();
  }
  const started = Date.now();
  let hashesEqual = false;
  try {
    await dbs.quiesce(quiesceTimeoutMs);
    hashesEqual = true;
  } catch (caught) {
    error = [error, caught instanceof Error ? caught.message : String(caught)].filter(Boolean).join('; ');
  }
  const quiesceMs = Date.now() - started;
  const lost = await dbs.missingOnEachNode(stream.acknowledged);
  const unacknowledgedBy: Record<string, number> = {};
  for (const failure of stream.counters.failures) {
    const reason = /^HTTP \d+/.exec(failure.detail)?.[0] ?? failure.detail.slice(0, 60);
    unacknowledgedBy[reason] = (unacknowledgedBy[reason] ?? 0) + 1;
  }
  return {
    plan,
    acknowledged: stream.acknowledged.length,
    unacknowledged: stream.counters.failures.length,
    unacknowledgedBy,
    lost,
    hashesEqual,
    healedAfterMs: healedAt - injectedAt,
    quiesceMs,
    error,
  };
}

export const lostCount = (outcome: FaultOutcome) => Object.values(outcome.lost).reduce((sum, ids) => sum + ids.length, 0);

// ------------------------------------------------------------------------------------------------ partition

/**
 * A TCP proxy in front of one peer's sync address: while `cut`, it drops every open connection and every new one
 * (a peer sees connection resets, like a link going down), `heal()` lets traffic through again.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(readonly listen: { host: string; port: number }, readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.cutOff) {
        client.destroy();
        return;
      }
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async start(listen: { host: string; port: number }, target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(listen, target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(listen.port, listen.host, () => resolve());
    });
    return proxy;
  }

  get address(): string {
    return `${this.listen.host}:${this.listen.port}`;
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
