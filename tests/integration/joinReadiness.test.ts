/**
 * Readiness while a node joins, through real processes (a two-node local cluster on 127.0.113.x): node 2 is wiped
 * and started again while node 1 holds 60,000 users, so it loads them by an initial load. Its /api/ready answers
 * 503 (`initial_load_in_progress` for an anonymous caller, the source and progress for a local one) while its sync
 * service reports the load, and 200 once the load is done; node 1, which holds the data, stays ready throughout.
 *
 * It also runs docs/troubleshooting.md's initial-load-progress commands against node 2 while it loads.
 *
 * Not timing-bound: the load is held at its start by a lock on node 1's change log (the pages wait for it), so the
 * "loading" answer is seen for sure; after the lock goes, every answer is checked against the sync status read just
 * before and just after it.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StartedLocalCluster } from '@msk/kit/cluster';
import { startReadyCluster } from '../support/clusterFixture';
import type { ClusterDatabases } from '../support/clusterChecks';
import { docsCommands } from '../support/docsCommands';
import { eventually } from '../support/eventually';

jest.setTimeout(600_000);

const ADDRESS_BLOCK = 113;
const ROWS = 60_000;
const LOAD_TIMEOUT_MS = 240_000;

interface InitialLoad {
  loading: boolean;
  phase: string;
  source: { id: string; name: string | null } | null;
  rowsApplied: number;
}
interface Readiness {
  status: number;
  body: { status: string; reason?: string; checks?: { initialLoad?: string }; problems?: string[] };
}

let cluster: StartedLocalCluster;
let dbs: ClusterDatabases;

async function initialLoadOf(index: number): Promise<InitialLoad | null> {
  const status = (await (await fetch(`${cluster.nodes[index - 1]!.syncUrl}/status`)).json()) as {
    replication?: { initialLoad?: InitialLoad | null };
  };
  return status.replication?.initialLoad ?? null;
}

/** /api/ready of one node; `anonymous`: as a caller behind a proxy gets it (the public answer). */
async function readyOf(index: number, anonymous = false): Promise<Readiness> {
  const response = await fetch(`${cluster.nodes[index - 1]!.appUrl}/api/ready`, {
    headers: anonymous ? { 'x-forwarded-for': '203.0.113.9' } : {},
  });
  return { status: response.status, body: (await response.json()) as Readiness['body'] };
}

/** The sync status, readiness, and the sync status again: the answer is checked only when both statuses agree. */
async function observe(index: number): Promise<{ loading: boolean | 'changed'; phase?: string; ready: Readiness }> {
  const before = await initialLoadOf(index);
  const ready = await readyOf(index);
  const after = await initialLoadOf(index);
  const loading = before?.loading === after?.loading && before !== null ? before.loading : 'changed';
  return { loading, phase: after?.phase, ready };
}

beforeAll(async () => {
  ({ cluster, dbs } = await startReadyCluster({ nodes: 2, addressBlock: ADDRESS_BLOCK }));
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
});

describe('a node joining a cluster', () => {
  it('answers /api/ready with 503 initial_load_in_progress while it loads, and 200 once it holds every row', async () => {
    await cluster.stopNode(2);
    rmSync(join(cluster.dataDir, 'node-2', 'postgres'), { recursive: true, force: true });
    await dbs.query(1, (pool) =>
      pool.query(
        `INSERT INTO users (id, email, name, password_hash, role)
         SELECT gen_random_uuid(), 'joiner-' || n || '@example.com', 'A User', 'x', 'member'
         FROM generate_series(1, ${ROWS}) n`,
      ),
    );
    const expectedUsers = await dbs.query(1, async (pool) =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]!.n),
    );

    await dbs.query(1, async (pool) => {
      const gate = await pool.connect();
      await gate.query('BEGIN');
      await gate.query('LOCK TABLE msk_sync.change_log IN ACCESS EXCLUSIVE MODE');
      try {
        await cluster.startNode(2);
        const held = await eventually(
          async () => {
            const seen = await observe(2);
            if (seen.loading !== true) throw new Error(`node 2's sync status: loading ${seen.loading}`);
            return seen.ready;
          },
          { what: "node 2's sync service reporting its initial load", timeoutMs: LOAD_TIMEOUT_MS, intervalMs: 100 },
        );
        expect(held.status).toBe(503);
        expect(held.body.status).toBe('not_ready');
        expect(held.body.checks?.initialLoad).toBe('loading');
        expect(held.body.problems).toContainEqual(expect.stringMatching(/^initial load in progress: /));
        const anonymous = await readyOf(2, true);
        if ((await initialLoadOf(2))?.loading === true)
          expect(anonymous).toEqual({ status: 503, body: { status: 'not_ready', reason: 'initial_load_in_progress' } });
        // what docs/troubleshooting.md shows a reader, run against node 2 (node 2 of `npm start` there)
        const node2 = cluster.nodes[1]!;
        const commands = docsCommands('docs/troubleshooting.md', 'initial-load-progress').map((c) =>
          c.replaceAll('http://127.0.0.3:8080', node2.appUrl).replaceAll('http://127.0.0.3:8765', node2.syncUrl),
        );
        const output = execFileSync('bash', ['-euo', 'pipefail', '-c', commands.join('\n')], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(output).toContain('"initialLoad":"loading"');
        expect(output).toContain('initial load in progress: ');
        expect(output).toMatch(/"initialLoad":\{"loading":true,"phase":"(due|loading)"/);
        // node 1 holds the data: it stays ready while node 2 loads from it
        expect((await readyOf(1)).status).toBe(200);
      } finally {
        await gate.query('COMMIT').catch(() => undefined);
        gate.release();
      }
    });

    let observations = 0;
    let loadingSeen = 0;
    /** Answers that contradict the sync status read around them (checked after the load). */
    const contradictions: string[] = [];
    const done = await eventually(
      async () => {
        const seen = await observe(2);
        observations += 1;
        const answer = `${seen.ready.status} ${seen.ready.body.checks?.initialLoad}`;
        if (seen.loading === true) {
          loadingSeen += 1;
          if (answer !== '503 loading') contradictions.push(`loading, yet ${answer}`);
        }
        if (seen.loading !== false || seen.phase !== 'none')
          throw new Error(`node 2's sync status: loading ${seen.loading}, phase ${seen.phase}`);
        if (seen.ready.body.checks?.initialLoad !== 'ok') contradictions.push(`done, yet ${answer}`);
        return seen.ready;
      },
      { what: "node 2's initial load done", timeoutMs: LOAD_TIMEOUT_MS, intervalMs: 100 },
    );
    console.log(
      `node 2 loaded ${ROWS} users: ${observations} observations after the lock, ${loadingSeen} while loading`,
    );
    expect(contradictions).toEqual([]);
    expect(done.status).toBe(200);
    expect(await readyOf(2, true)).toEqual({ status: 200, body: { status: 'ready', reason: 'ok' } });
    expect(
      await dbs.query(2, async (pool) => Number((await pool.query('SELECT count(*) AS n FROM users')).rows[0].n)),
    ).toBe(expectedUsers);
  });
});
