/**
 * Partition healed: two engine nodes cut off from each other each write PARTITION_ROWS_PER_SIDE new rows and update
 * the same PARTITION_SHARED_ROWS rows (the same column on both sides, and one more column on one side: last-writer-
 * wins per column, conflicts on every shared row); then the cut heals and the time until both nodes' users tables
 * hash equal is taken. Baseline, same run and same detector: the two nodes cut off while one of them writes all
 * 2 x PARTITION_ROWS_PER_SIDE rows, healed, until equal (the engine applying those rows in one burst).
 */
import type { Pool } from 'pg';
import { insertMany } from './benchRows';
import { BULK_CHUNK_ROWS, PARTITION_ROUNDS, PARTITION_ROWS_PER_SIDE, PARTITION_SHARED_ROWS } from './benchSettings';
import type { StartedPostgres } from './benchSupport';
import { now, sleep } from './benchSupport';
import { waitForEqualHashes } from './convergence';
import type { Mesh } from './meshCluster';
import { startMesh } from './meshCluster';
import { fmt } from './report';

type RunKind = 'burst' | 'partition';

export interface PartitionRound {
  /** Heal to equal hashes, both sides having written while cut. */
  readonly healMs: number;
  /** Heal to equal hashes, one side having written all the rows while cut. */
  readonly burstMs: number;
}

const CONVERGE_TIMEOUT_MS = 600_000;
const CHECK_INTERVAL_MS = 50;

const converged = (mesh: Mesh) =>
  waitForEqualHashes({
    readHashes: () => mesh.readHashes(),
    now,
    sleep,
    intervalMs: CHECK_INTERVAL_MS,
    timeoutMs: CONVERGE_TIMEOUT_MS,
  });

async function insertRows(app: Pool, rows: number): Promise<void> {
  for (let done = 0; done < rows; done += BULK_CHUNK_ROWS)
    await insertMany(app, Math.min(BULK_CHUNK_ROWS, rows - done));
}

/** Side 0 renames every shared row; side 1 renames them too and changes their role (100 rows a statement). */
async function updateShared(app: Pool, ids: readonly string[], side: number): Promise<void> {
  for (let from = 0; from < ids.length; from += 100) {
    const chunk = ids.slice(from, from + 100);
    await app.query(
      side === 0
        ? `UPDATE users SET name = 'written on side A' WHERE id = ANY($1::uuid[])`
        : `UPDATE users SET name = 'written on side B', role = 'admin' WHERE id = ANY($1::uuid[])`,
      [chunk],
    );
  }
}

/** One run on fresh databases: shared rows replicated, cut, writes, heal; milliseconds from heal to equal hashes. */
async function healRun(servers: readonly StartedPostgres[], kind: RunKind, round: number): Promise<number> {
  const mesh = await startMesh({ servers, database: `${kind}_${round}`, nodeCount: 2 });
  try {
    mesh.connect();
    await insertRows(mesh.nodes[0]!.app, PARTITION_SHARED_ROWS);
    await converged(mesh);
    await mesh.disconnect();
    const { rows } = await mesh.nodes[0]!.app.query<{ id: string }>('SELECT id::text AS id FROM users');
    const shared = rows.map((row) => row.id);
    if (kind === 'partition') {
      await Promise.all(
        mesh.nodes.map(async (node, side) => {
          await insertRows(node.app, PARTITION_ROWS_PER_SIDE);
          await updateShared(node.app, shared, side);
        }),
      );
    } else {
      await insertRows(mesh.nodes[0]!.app, 2 * PARTITION_ROWS_PER_SIDE);
    }
    for (const node of mesh.nodes) await node.app.query('CHECKPOINT');
    const healedMs = now();
    mesh.connect();
    const { convergedAtMs } = await converged(mesh);
    if (mesh.errors.length > 0) process.stdout.write(`  ${kind} pull errors: ${mesh.errors.slice(0, 3).join(' | ')}\n`);
    return convergedAtMs - healedMs;
  } finally {
    await mesh.stop();
  }
}

/** PARTITION_ROUNDS rounds of both runs, alternating which goes first; prints each. */
export async function measurePartitionHeal(servers: readonly StartedPostgres[]): Promise<PartitionRound[]> {
  const rounds: PartitionRound[] = [];
  for (let round = 1; round <= PARTITION_ROUNDS; round++) {
    const order: RunKind[] = round % 2 === 1 ? ['burst', 'partition'] : ['partition', 'burst'];
    const ms = {} as Record<RunKind, number>;
    for (const kind of order) ms[kind] = await healRun(servers, kind, round);
    rounds.push({ healMs: ms.partition, burstMs: ms.burst });
    process.stdout.write(
      `  round ${round}: partition healed in ${fmt(ms.partition)} ms, one-way burst of the same rows ${fmt(ms.burst)} ms\n`,
    );
  }
  return rounds;
}
