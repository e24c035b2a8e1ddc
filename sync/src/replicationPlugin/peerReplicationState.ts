/**
 * What this node knows about replicating FROM one peer, kept from the engine's pull outcomes: lag, the last batch,
 * failures. Pure (time comes in as a parameter); the status document and metrics read it.
 */
import type { PullOutcome } from '@msk/replication';

export interface LastBatch {
  readonly at: string;
  readonly kind: PullOutcome['kind'];
  readonly received: number;
  readonly applied: number;
  readonly conflicts: number;
  readonly durationMs: number;
  /** Applied outcomes: now minus the wall time of the newest stamp received (null: the batch was empty). */
  readonly deliveryLagMs: number | null;
  readonly message: string | null;
}

export interface PeerLagView {
  /** Changes the peer still had after our last pull (capped by the engine); null before the first pull. */
  readonly changes: number | null;
  /** 0 when the last pull caught up; otherwise how long ago we were last caught up (null: never). */
  readonly ms: number | null;
}

export class PeerReplicationState {
  private lastBatch: LastBatch | null = null;
  private remainingChanges: number | null = null;
  private caughtUp = false;
  private lastCaughtUpAtMs: number | null = null;
  private firstSeenMs: number;
  /** Failed pulls in a row (drives the retry backoff). */
  consecutiveFailures = 0;
  failures = 0;
  initialLoads = 0;
  /** Why this peer's changes wait for this node's upgrade (it has columns this node lacks); null: they don't. */
  waitingForUpgrade: string | null = null;
  /** When changes from this peer applied again after waiting for this node's upgrade (null: never waited). */
  resumedAfterUpgradeAt: string | null = null;

  constructor(nowMs: number) {
    this.firstSeenMs = nowMs;
  }

  record(outcome: PullOutcome, nowMs: number): void {
    if (outcome.kind === 'applied') {
      if (this.waitingForUpgrade !== null) this.resumedAfterUpgradeAt = new Date(nowMs).toISOString();
      this.waitingForUpgrade = null;
      this.consecutiveFailures = 0;
      this.remainingChanges = outcome.remainingChanges;
      this.caughtUp = !outcome.hasMore && outcome.remainingChanges === 0;
      if (this.caughtUp) this.lastCaughtUpAtMs = nowMs;
      this.lastBatch = {
        at: new Date(nowMs).toISOString(),
        kind: outcome.kind,
        received: outcome.received,
        applied: outcome.applied,
        conflicts: outcome.conflicts.length,
        durationMs: outcome.durationMs,
        deliveryLagMs: outcome.lagMs,
        message: null,
      };
      return;
    }
    // Backs off like a failure; a peer that is still starting, or whose changes wait for this node's upgrade, is
    // not counted as an error.
    this.consecutiveFailures += 1;
    if (outcome.kind === 'waiting-for-upgrade') this.waitingForUpgrade = outcome.message;
    else if (outcome.kind !== 'peer-not-ready') this.failures += 1;
    this.caughtUp = false;
    this.lastBatch = {
      at: new Date(nowMs).toISOString(),
      kind: outcome.kind,
      received: 0,
      applied: 0,
      conflicts: 0,
      durationMs: outcome.durationMs,
      deliveryLagMs: null,
      message: outcome.message,
    };
  }

  lag(nowMs: number): PeerLagView {
    if (this.caughtUp) return { changes: 0, ms: 0 };
    const since = this.lastCaughtUpAtMs ?? (this.lastBatch ? this.firstSeenMs : null);
    return { changes: this.remainingChanges, ms: since === null ? null : Math.max(0, nowMs - since) };
  }

  batch(): LastBatch | null {
    return this.lastBatch;
  }
}
