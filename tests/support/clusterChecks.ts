/**
 * Checks on a running local cluster: every node's database read directly (the engine's per-table hashes and the
 * acknowledged ids), replication running everywhere, and a rolling restart under a signed-in client.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'pg';
import { readEnvFile, type StartedLocalCluster } from '@msk/kit/cluster';
import { type ReplicatedTable, introspectTables, postgresTableHashes } from '@msk/replication';
import { REFERENCE_APP_REPLICATED_TABLES } from '@msk/contract';
import { eventually } from './eventually';
import { type ClientCounters, newCounters, retryingFetch, signInRetrying, writeBusiness } from './retryingClient';

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
      async () => {
        const all = await Promise.all(this.cluster.nodes.map((n) => this.hashesOf(n.index)));
        const first = JSON.stringify(all[0]);
        if (!all.every((h) => JSON.stringify(h) === first))
          throw new Error(`hashes differ: ${all.map((h) => JSON.stringify(h)).join(' | ')}`);
        if (!check(all[0] as Hashes)) throw new Error(`equal, but not the expected state: ${first}`);
        return all[0] as Hashes;
      },
      { what: "every node's per-table hashes becoming equal", timeoutMs: timeoutMs, intervalMs: 500 },
    );
  }

  /** Per node: the acknowledged business ids it does NOT have. */
  async missingOnEachNode(ids: readonly string[]): Promise<Record<string, string[]>> {
    const result: Record<string, string[]> = {};
    for (const node of this.cluster.nodes) {
      const present = await this.query(
        node.index,
        async (pool) =>
          new Set(
            (
              await pool.query<{ id: string }>('SELECT id::text AS id FROM businesses WHERE id = ANY($1::uuid[])', [
                ids,
              ])
            ).rows.map((r) => r.id),
          ),
      );
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
export async function rollingRestartUnderLoad(
  cluster: StartedLocalCluster,
  label: string,
): Promise<RollingRestartOutcome> {
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
        const answer = await retryingFetch(
          `${cluster.entryUrl}/api/auth/session`,
          { headers: { cookie: current.cookie } },
          counters,
        );
        const user = (JSON.parse(answer.text || '{}') as { user?: { email?: string } }).user;
        const cleared = answer.headers.getSetCookie().some((c) => /next-auth\.session-token=;/.test(c));
        if (answer.status !== 200 || user?.email !== cluster.admin.email || cleared)
          logouts.push(
            `round ${rounds}: HTTP ${answer.status} ${answer.text.slice(0, 100)}${cleared ? ' (cookie cleared)' : ''}`,
          );
      } catch (error) {
        counters.failures.push({
          what: 'GET /api/auth/session',
          detail: error instanceof Error ? error.message : String(error),
        });
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
  console.log(
    `${label}: ${rounds} rounds, ${counters.requests} requests, ${counters.retries} retries, ${acknowledged.length} writes acknowledged`,
  );
  return { rounds, counters, acknowledged, logouts };
}

export async function syncRunningEverywhere(cluster: StartedLocalCluster, timeoutMs: number): Promise<void> {
  await eventually(
    async () => {
      for (const n of cluster.nodes) {
        const status = (await (await fetch(`${n.syncUrl}/status`)).json()) as { replication?: { state?: string } };
        if (status.replication?.state !== 'running')
          throw new Error(`${n.name}: ${JSON.stringify(status.replication)}`);
      }
    },
    { what: 'replication running on every node', timeoutMs: timeoutMs },
  );
}
