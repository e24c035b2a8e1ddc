/**
 * The contenders of the two-node measures, between the SAME two embedded PostgreSQL instances: native logical
 * replication, and the engine (its publisher's side in a worker thread, as in its own sync process; the
 * subscriber's in the main thread), with the probes the lag and throughput measures use.
 */
import type { Pool } from 'pg';
import { PostgresReplicationStore, PullScheduler, Replicator } from '../index';
import { APP_SHAPED_DDL, uuidV7 } from '../testing/appShapedTables';
import { ARRIVAL_TRIGGER, ArrivalListener } from './arrivalListener';
import { insertOne } from './benchRows';
import { ENGINE_PULL_LIMIT, NODE_A, NODE_B, WAIT_TIMEOUT_MS, WRITER_CONNECTIONS } from './benchSettings';
import type { StartedPostgres } from './benchSupport';
import { ENGINE_EMPTY_TABLES, createDatabase, newestId, now, quietPool, rowCount, sleep } from './benchSupport';
import { startSourceWorker } from './sourceWorker';

export interface Pair {
  readonly name: string;
  readonly publisherUrl: string;
  readonly subscriberUrl: string;
  readonly publisher: Pool;
  readonly subscriber: Pool;
  arrivals: ArrivalListener;
  /** Engines: watch for the publisher's commits or not (only the contender being measured does). */
  setActive(active: boolean): Promise<void>;
  /** Empties the table on both sides (between throughput runs: every run starts from the same state, where a
   * table grown by millions of rows would slow whoever runs later). */
  emptyTables(): Promise<void>;
  stop(): Promise<void>;
}

export async function nativePair(a: StartedPostgres, b: StartedPostgres): Promise<Pair> {
  const publisherUrl = await createDatabase(a, 'native_bench');
  const subscriberUrl = await createDatabase(b, 'native_bench');
  const publisher = quietPool(publisherUrl, WRITER_CONNECTIONS + 1);
  const subscriber = quietPool(subscriberUrl, 2);
  await publisher.query(APP_SHAPED_DDL);
  await subscriber.query(APP_SHAPED_DDL + ARRIVAL_TRIGGER);
  await publisher.query('CREATE PUBLICATION bench_pub FOR TABLE users');
  // the subscription connects with the same credentials, over TCP to the publisher's loopback address
  await subscriber.query(
    `CREATE SUBSCRIPTION bench_sub CONNECTION '${publisherUrl.replace(/'/g, "''")}' PUBLICATION bench_pub WITH (copy_data = false)`,
  );
  for (let i = 0; i < 200; i++) {
    const { rows } = await subscriber.query<{ ready: boolean }>(
      `SELECT count(*) FILTER (WHERE srsubstate = 'r') = count(*) AND count(*) > 0 AS ready FROM pg_subscription_rel`,
    );
    if (rows[0]?.ready) break;
    await sleep(50);
  }
  const arrivals = await ArrivalListener.start(subscriberUrl);
  return {
    name: 'native logical replication',
    publisherUrl,
    subscriberUrl,
    publisher,
    subscriber,
    arrivals,
    setActive: async () => undefined,
    async emptyTables() {
      await publisher.query('TRUNCATE users'); // replicated: the subscription applies it
      const deadline = now() + WAIT_TIMEOUT_MS;
      while ((await rowCount(subscriber)) > 0) {
        if (now() > deadline) throw new Error('native: the subscriber did not apply the TRUNCATE');
        await sleep(20);
      }
    },
    async stop() {
      await arrivals.close();
      await subscriber.query('DROP SUBSCRIPTION bench_sub');
      await subscriber.end();
      await publisher.end();
    },
  };
}

export type Poke = { mode: 'notify' } | { mode: 'poll'; pollIntervalMs: number };

export async function enginePair(
  a: StartedPostgres,
  b: StartedPostgres,
  poke: Poke,
): Promise<Pair & { schedulerErrors: string[] }> {
  const database = poke.mode === 'notify' ? 'engine_notify' : 'engine_poll';
  const publisherUrl = await createDatabase(a, database);
  const subscriberUrl = await createDatabase(b, database);
  const publisher = quietPool(publisherUrl, WRITER_CONNECTIONS + 1);
  const subscriber = quietPool(subscriberUrl, 2);
  await publisher.query(APP_SHAPED_DDL);
  await subscriber.query(APP_SHAPED_DDL + ARRIVAL_TRIGGER);
  // the publisher's engine runs in its own thread (its own sync process in a deployment), the subscriber's here
  const source = await startSourceWorker({
    connectionString: publisherUrl,
    nodeId: NODE_A,
    tables: ['users'],
    poke,
    peerId: NODE_B,
  });
  const storeB = await PostgresReplicationStore.open({
    connectionString: subscriberUrl,
    nodeId: NODE_B,
    tables: ['users'],
    poke,
  });
  const replicator = new Replicator({ store: storeB, transport: source.transport, pullLimit: ENGINE_PULL_LIMIT });
  const schedulerErrors: string[] = [];
  const scheduler = new PullScheduler({
    replicator,
    peerId: NODE_A,
    fallbackIntervalMs: 1000,
    onOutcome: (outcome) => {
      if (outcome.kind !== 'applied') schedulerErrors.push(outcome.message);
    },
    onError: (error) => schedulerErrors.push(String(error)),
  });
  // the poke: a commit on A (NOTIFY, or the polled log head) sends B the changes when few, else makes B pull now
  source.onPoke(async (push) => {
    if (push !== null) return scheduler.offer(push);
    scheduler.poke();
    return false;
  });
  scheduler.start();
  const arrivals = await ArrivalListener.start(subscriberUrl);
  return {
    name: poke.mode === 'notify' ? 'engine (NOTIFY poke)' : `engine (poll ${poke.pollIntervalMs} ms)`,
    publisherUrl,
    subscriberUrl,
    publisher,
    subscriber,
    arrivals,
    schedulerErrors,
    setActive: (active) => source.setPokes(active),
    async emptyTables() {
      await publisher.query(ENGINE_EMPTY_TABLES);
      await subscriber.query(ENGINE_EMPTY_TABLES);
    },
    async stop() {
      await scheduler.stop();
      await arrivals.close();
      await source.close();
      await storeB.close();
      await subscriber.end();
      await publisher.end();
    },
  };
}

export async function measureLag(pair: Pair): Promise<number> {
  const id = uuidV7();
  const arrived = pair.arrivals.arrival(id);
  const sentMs = now();
  await insertOne(pair.publisher, id);
  return (await arrived) - sentMs;
}

/** When the subscriber has `count` rows: it waits for the publisher's newest row (an index lookup) before counting
 * (a scan). Returns the time of the check that succeeded. */
export async function waitForCount(pair: Pair, count: number): Promise<number> {
  const deadline = now() + WAIT_TIMEOUT_MS;
  const newest = await newestId(pair.publisher);
  for (;;) {
    const checkedMs = now();
    if ((await newestId(pair.subscriber)) >= newest && (await rowCount(pair.subscriber)) >= count) return checkedMs;
    if (now() > deadline) throw new Error(`${pair.name}: subscriber did not reach ${count} rows`);
    await sleep(20);
  }
}

/** Every throughput run starts from empty tables and just after a checkpoint on both servers. */
export async function freshStart(pair: Pair): Promise<void> {
  await pair.emptyTables();
  await pair.publisher.query('CHECKPOINT');
  await pair.subscriber.query('CHECKPOINT');
}
