/** The replication bench's command-line flags and sizes (`--quick` shrinks every part for a smoke run). */
const flag = (name: string) => process.argv.includes(name);

export const QUICK = flag('--quick');
export const LAG_ONLY = flag('--lag-only');
export const CAPTURE_ONLY = flag('--capture-only');
export const PARTITION_ONLY = flag('--partition-only');
export const FAN_OUT_ONLY = flag('--fan-out-only');

export const NODE_A = 'aaaaaaaaaaaaaaaa';
export const NODE_B = 'bbbbbbbbbbbbbbbb';
/** One loopback address per embedded PostgreSQL instance (the first two are the publisher and the subscriber). */
export const SERVER_HOSTS = ['127.0.3.1', '127.0.3.2', '127.0.3.3', '127.0.3.4', '127.0.3.5'] as const;
export const LAG_SAMPLES = QUICK ? 60 : 1000;
export const LAG_SPACING_MS = 15;
export const BULK_ROWS = QUICK ? 40_000 : 200_000;
export const BULK_CHUNK_ROWS = 1000;
export const WRITER_CONNECTIONS = 4;
export const PACED_SECONDS = QUICK ? 4 : 10;
/** Rate step between two paced runs of the sustained-throughput search. */
export const PACED_STEP = 1.15;
/** Runs stepping from the burst rate until the verdict changes, then runs halving the bracket found. */
export const PACED_STEPS = QUICK ? 3 : 5;
export const PACED_BISECTIONS = QUICK ? 1 : 2;
export const PACED_SAMPLE_MS = 250;
/** A paced run keeps up when its mean lag grew from the first half to the second by at most this share of a half's
 * duration: a subscriber falling behind by more than 2.5% of the offered rate fails it (native replication's runs
 * that keep up grow by ~1%, measured). */
export const KEPT_UP_GROWTH = 0.025;
export const CAPTURE_ROUNDS = QUICK ? 3 : 5;
export const CAPTURE_ROUND_MS = QUICK ? 1000 : 2000;
export const ENGINE_PULL_LIMIT = 5000;
export const POLL_INTERVAL_MS = 1;
export const WAIT_TIMEOUT_MS = 300_000;
/** Partition: rows each side writes while cut off, and shared rows both sides update (conflicting) meanwhile. */
export const PARTITION_ROWS_PER_SIDE = QUICK ? 1000 : 10_000;
export const PARTITION_SHARED_ROWS = QUICK ? 100 : 1000;
/** Rounds of (one-way burst, partition heal), alternating which goes first. */
export const PARTITION_ROUNDS = QUICK ? 1 : 2;
/** Fan-out: interleaved samples on the 2-node and the 5-node mesh. */
export const FAN_OUT_SAMPLES = QUICK ? 60 : 500;
export const FAN_OUT_NODES = 5;
