/** Capture overhead: the application's insert throughput without vs with the engine's capture triggers. */
import type { Pool } from 'pg';
import { PostgresReplicationStore } from '../index';
import { APP_SHAPED_DDL } from '../testing/appShapedTables';
import type { Poke } from './benchPairs';
import { insertMany, insertOne } from './benchRows';
import { CAPTURE_ROUND_MS, CAPTURE_ROUNDS, NODE_A, POLL_INTERVAL_MS, WRITER_CONNECTIONS } from './benchSettings';
import type { StartedPostgres } from './benchSupport';
import { ENGINE_EMPTY_TABLES, createDatabase, median, now, quietPool } from './benchSupport';
import { fmt, ratio, verdict } from './report';

/** Insert throughput on one database for `ms`: single-row autocommit inserts or 1000-row inserts, 4 connections. */
async function insertRate(pool: Pool, rowsPerStatement: number, ms: number): Promise<number> {
  let rows = 0;
  const deadline = now() + ms;
  await Promise.all(
    Array.from({ length: WRITER_CONNECTIONS }, async () => {
      while (now() < deadline) {
        if (rowsPerStatement === 1) await insertOne(pool);
        else await insertMany(pool, rowsPerStatement);
        rows += rowsPerStatement;
      }
    }),
  );
  return rows / (ms / 1000);
}

type CaptureSide = 'plain' | 'captured' | 'capturedNoNotify';
export type CaptureOverhead = Record<'single' | 'bulk', Record<CaptureSide, number>>;

/** Insert throughput without triggers, with capture (+ the NOTIFY poke), and with capture alone. */
export async function measureCaptureOverhead(server: StartedPostgres): Promise<CaptureOverhead> {
  const sides: CaptureSide[] = ['plain', 'captured', 'capturedNoNotify'];
  const pools = {} as Record<CaptureSide, Pool>;
  const stores: PostgresReplicationStore[] = [];
  for (const side of sides) {
    const url = await createDatabase(server, `capture_${side.toLowerCase()}`);
    pools[side] = quietPool(url, WRITER_CONNECTIONS);
    await pools[side].query(APP_SHAPED_DDL);
    if (side !== 'plain') {
      // poll mode installs capture without the NOTIFY; the store listens as the sync service does (its notify gate
      // or its polling run beside the writers), but nothing pulls
      const poke: Poke = side === 'captured' ? { mode: 'notify' } : { mode: 'poll', pollIntervalMs: POLL_INTERVAL_MS };
      const store = await PostgresReplicationStore.open({
        connectionString: url,
        nodeId: NODE_A,
        tables: ['users'],
        poke,
      });
      stores.push(store);
      store.onChange(() => undefined);
      await store.listening();
    }
  }
  const reset = async (side: CaptureSide) => {
    const pool = pools[side];
    if (side === 'plain') await pool.query('TRUNCATE users');
    else await pool.query(ENGINE_EMPTY_TABLES);
    await pool.query('CHECKPOINT');
  };
  const samples = { single: {} as Record<CaptureSide, number[]>, bulk: {} as Record<CaptureSide, number[]> };
  for (const [kind, rowsPerStatement] of [
    ['single', 1],
    ['bulk', 1000],
  ] as const) {
    for (let round = 0; round < CAPTURE_ROUNDS; round++) {
      // alternate the order so drift on a shared machine hits every side alike
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        await reset(side);
        (samples[kind][side] ??= []).push(await insertRate(pools[side], rowsPerStatement, CAPTURE_ROUND_MS));
      }
    }
  }
  for (const store of stores) await store.close();
  for (const side of sides) await pools[side].end();
  const medians = (kind: 'single' | 'bulk') =>
    Object.fromEntries(sides.map((side) => [side, median(samples[kind][side])])) as Record<CaptureSide, number>;
  return { single: medians('single'), bulk: medians('bulk') };
}

export function captureTable(capture: CaptureOverhead): string[][] {
  const row = (title: string, kind: keyof CaptureOverhead) => {
    const { plain, captured, capturedNoNotify } = capture[kind];
    return [
      title,
      fmt(plain),
      fmt(captured),
      fmt(capturedNoNotify),
      `${ratio(plain, captured)}, ${ratio(plain, capturedNoNotify)}`,
      `< 1.5x: ${verdict(plain / captured < 1.5)}, ${verdict(plain / capturedNoNotify < 1.5)}`,
    ];
  };
  return [
    [
      'capture overhead',
      'no triggers',
      'capture + NOTIFY',
      'capture only (poll mode)',
      'ratios (notify, poll)',
      'target',
    ],
    row('single-row inserts/s (4 connections)', 'single'),
    row('rows/s in 1000-row inserts', 'bulk'),
  ];
}
