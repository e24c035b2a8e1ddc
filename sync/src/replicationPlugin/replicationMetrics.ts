/** Prometheus metrics of replication, registered in the sync service's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ReplicationMetrics {
  readonly running: Gauge;
  readonly schemaRefused: Gauge;
  readonly schemaProblems: Gauge<'table' | 'kind'>;
  readonly lagChanges: Gauge<'peer'>;
  readonly lagSeconds: Gauge<'peer'>;
  readonly appliedChanges: Counter<'peer'>;
  readonly conflictsResolved: Counter<'peer'>;
  readonly pullFailures: Counter<'peer' | 'kind'>;
  readonly pullSeconds: Histogram<'peer'>;
  readonly requestSeconds: Histogram<'kind'>;
  readonly deliveryLagSeconds: Histogram<'peer'>;
  readonly initialLoads: Counter<'peer' | 'result'>;
  readonly pokesSent: Counter<'result'>;
  readonly purgedStates: Counter;
}

export function createReplicationMetrics(registry: Registry): ReplicationMetrics {
  const registers = [registry];
  const prefix = 'msk_sync_replication_';
  return {
    running: new Gauge({
      name: `${prefix}running`,
      help: '1 when replication runs (0 while it waits for the database schema)',
      registers,
    }),
    schemaRefused: new Gauge({
      name: `${prefix}schema_refused`,
      help: '1 when the start-up check refused REPLICATED_TABLES as the live schema has them (replication off, readiness fails)',
      registers,
    }),
    schemaProblems: new Gauge({
      name: `${prefix}schema_problems`,
      help: 'Problems the start-up check found in the replicated tables, by table and kind (e.g. sequence-key, no-primary-key, unsupported-type)',
      labelNames: ['table', 'kind'],
      registers,
    }),
    lagChanges: new Gauge({
      name: `${prefix}lag_changes`,
      help: 'Changes a peer still had for us after the last pull',
      labelNames: ['peer'],
      registers,
    }),
    lagSeconds: new Gauge({
      name: `${prefix}lag_seconds`,
      help: 'Time since this node was last caught up with a peer (0: caught up)',
      labelNames: ['peer'],
      registers,
    }),
    appliedChanges: new Counter({
      name: `${prefix}applied_changes_total`,
      help: 'Row states from a peer that changed this node',
      labelNames: ['peer'],
      registers,
    }),
    conflictsResolved: new Counter({
      name: `${prefix}conflicts_resolved_total`,
      help: 'Unique-constraint conflicts resolved while applying from a peer',
      labelNames: ['peer'],
      registers,
    }),
    pullFailures: new Counter({
      name: `${prefix}pull_failures_total`,
      help: 'Pulls from a peer that failed, by kind',
      labelNames: ['peer', 'kind'],
      registers,
    }),
    pullSeconds: new Histogram({
      name: `${prefix}pull_duration_seconds`,
      help: 'Duration of one catch-up with a peer (request + apply)',
      labelNames: ['peer'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    requestSeconds: new Histogram({
      name: `${prefix}request_duration_seconds`,
      help: "Signed pull/snapshot requests to peers, until the answer arrived (round trip + the source's read)",
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10],
      registers,
    }),
    deliveryLagSeconds: new Histogram({
      name: `${prefix}delivery_lag_seconds`,
      help: 'Apply time minus the write time of the newest change in a batch (includes clock skew)',
      labelNames: ['peer'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    }),
    initialLoads: new Counter({
      name: `${prefix}initial_loads_total`,
      help: 'Snapshots loaded from a peer',
      labelNames: ['peer', 'result'],
      registers,
    }),
    pokesSent: new Counter({
      name: `${prefix}pokes_sent_total`,
      help: 'Pokes to peers after a local commit, by result: row-pushed (a committed row sent ahead of the log and applied), pushed (the changes went along and were applied), poked (the peer pulls), skipped (nothing for that peer), failed',
      labelNames: ['result'],
      registers,
    }),
    purgedStates: new Counter({
      name: `${prefix}purged_states_total`,
      help: 'Tombstones purged from the change log',
      registers,
    }),
  };
}
