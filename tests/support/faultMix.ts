/**
 * The random fault mix on the local cluster, shared by tests/integration/faults.test.ts (bounded) and
 * tests/soak/soak.js (long run): seeded fault plans (kill -9 of sync, app or PostgreSQL, node restart, node wipe,
 * a node's clock seconds ahead) and one fault under a write stream, healed, quiesced and checked.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartedLocalCluster } from '@msk/kit/cluster';
import { type ClusterDatabases } from './clusterChecks';
import { eventually } from './eventually';
import { type Session, WriteStream } from './retryingClient';
import { seededRandom } from './seededRandom';

export type FaultKind = 'kill-sync' | 'kill-app' | 'kill-postgres' | 'restart-node' | 'wipe-node' | 'clock-ahead';
export const FAULT_KINDS: readonly FaultKind[] = [
  'kill-sync',
  'kill-app',
  'kill-postgres',
  'restart-node',
  'wipe-node',
  'clock-ahead',
];

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
async function connectedWhileSkewed(
  cluster: StartedLocalCluster,
  index: number,
  offsetMs: number,
  timeoutMs: number,
): Promise<void> {
  const skewed = cluster.nodes[index - 1];
  const observer = cluster.nodes.find((n) => n.index !== index);
  if (!skewed || !observer) throw new Error(`clock-ahead needs node ${index} and another node`);
  await eventually(
    async () => {
      const counts = await cluster.peersConnected();
      if (Object.values(counts).some((n) => n !== cluster.nodes.length - 1))
        throw new Error(`peers connected: ${JSON.stringify(counts)}`);
      const status = (await (await fetch(`${observer.syncUrl}/status`)).json()) as {
        peers?: Array<{ name: string | null; authState: string; clockSkewMs: number | null }>;
      };
      const peer = status.peers?.find((p) => p.name === skewed.name);
      // (right after the reconnect, a peer may still show the skew it measured before the restart)
      if (peer?.authState !== 'authenticated' || Math.abs((peer.clockSkewMs ?? 0) - offsetMs) > 1_000)
        throw new Error(`${observer.name} sees ${JSON.stringify(peer)}`);
    },
    {
      what: `${skewed.name}, ${offsetMs} ms ahead, connected to every node and measured ahead by ${observer.name}`,
      timeoutMs: timeoutMs,
      intervalMs: 100,
    },
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
        const { warnings } = (await (await fetch(`${cluster.nodes[plan.node - 1]?.syncUrl}/status`)).json()) as {
          warnings: string[];
        };
        if (warnings.some((w) => w.includes('SYNC_CLOCK_OFFSET_MS')))
          throw new Error(`node ${plan.node}'s clock is still shifted after the heal: ${warnings.join('; ')}`);
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

export const lostCount = (outcome: FaultOutcome) =>
  Object.values(outcome.lost).reduce((sum, ids) => sum + ids.length, 0);
