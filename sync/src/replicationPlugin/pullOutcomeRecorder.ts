/**
 * What each pull from a peer leaves behind: the peer's replication state (lag, last batch, failures in a row), the
 * metrics and the log lines — and, from those states and the progress stored in the database, each peer's status.
 */
import type { PeerProgress, PullOutcome } from '@msk/replication';
import type { SyncServiceApi } from '../service/plugin';
import { PeerReplicationState } from './peerReplicationState';
import type { ReplicationMetrics } from './replicationMetrics';
import type { ReplicationPeerStatus } from './replicationStatus';

export class PullOutcomeRecorder {
  private readonly peerStates = new Map<string, PeerReplicationState>();

  constructor(
    private readonly api: SyncServiceApi,
    private readonly metrics: ReplicationMetrics,
    /** Called after a pull that changed this node (its progress and conflicts are read again). */
    private readonly refreshStatus: () => Promise<void>,
    /** Called while a peer's changes wait for this node's upgrade (a migration may just have run here). */
    private readonly checkSchema: () => Promise<void>,
  ) {}

  peerState(peerId: string): PeerReplicationState {
    let state = this.peerStates.get(peerId);
    if (!state) {
      state = new PeerReplicationState(this.api.now());
      this.peerStates.set(peerId, state);
    }
    return state;
  }

  recordInitialLoad(outcome: PullOutcome): void {
    const ok = outcome.kind === 'applied';
    this.metrics.initialLoads.inc({ peer: outcome.peerId, result: ok ? 'loaded' : outcome.kind });
    if (ok) {
      this.peerState(outcome.peerId).initialLoads += 1;
      this.api.logger.info(
        {
          peer: outcome.peerId,
          states: outcome.received,
          applied: outcome.applied,
          conflicts: outcome.conflicts.length,
          durationMs: outcome.durationMs,
        },
        'loaded a snapshot from a peer',
      );
    } else {
      this.api.logger.warn(
        { peer: outcome.peerId, kind: outcome.kind, message: outcome.message },
        'loading a snapshot from a peer failed; retrying',
      );
    }
  }

  recordOutcome(outcome: PullOutcome): void {
    const state = this.peerState(outcome.peerId);
    const wasFailing = state.consecutiveFailures > 0;
    state.record(outcome, this.api.now());
    const peer = outcome.peerId;
    const lag = state.lag(this.api.now());
    this.metrics.lagChanges.set({ peer }, lag.changes ?? 0);
    this.metrics.lagSeconds.set({ peer }, (lag.ms ?? 0) / 1000);
    this.metrics.pullSeconds.observe({ peer }, outcome.durationMs / 1000);
    if (outcome.kind === 'applied') {
      this.metrics.appliedChanges.inc({ peer }, outcome.applied);
      if (outcome.conflicts.length > 0) {
        this.metrics.conflictsResolved.inc({ peer }, outcome.conflicts.length);
        for (const conflict of outcome.conflicts) {
          this.api.logger.info(
            {
              peer,
              table: conflict.table,
              constraint: conflict.constraint,
              winnerPk: conflict.winnerPk,
              loserPk: conflict.loserPk,
              renamedColumn: conflict.renamedColumn,
            },
            'resolved a unique-constraint conflict',
          );
        }
      }
      if (outcome.lagMs !== null) this.metrics.deliveryLagSeconds.observe({ peer }, outcome.lagMs / 1000);
      if (wasFailing)
        this.api.logger.info(
          { peer, resumedAfterUpgrade: state.resumedAfterUpgradeAt !== null },
          'replication from peer works again',
        );
      if (outcome.applied > 0 || outcome.conflicts.length > 0) void this.refreshStatus();
    } else if (outcome.kind === 'waiting-for-upgrade') {
      // not an error: the peer runs the next release already. This node's migration may just have run.
      if (state.consecutiveFailures === 1 || state.consecutiveFailures % 20 === 0) {
        this.api.logger.info({ peer, message: outcome.message }, "changes from a peer wait for this node's upgrade");
      }
      void this.checkSchema();
    } else {
      this.metrics.pullFailures.inc({ peer, kind: outcome.kind });
      if (state.consecutiveFailures === 1 || state.consecutiveFailures % 20 === 0) {
        this.api.logger.warn(
          { peer, kind: outcome.kind, failuresInARow: state.consecutiveFailures, message: outcome.message },
          'replication pull failed',
        );
      }
    }
  }

  /** The status of one peer: its state in memory and its progress as stored (undefined: neither known). */
  peerStatus(peerId: string, progress: PeerProgress | undefined): ReplicationPeerStatus | undefined {
    const state = this.peerStates.get(peerId);
    if (!state && !progress) return undefined;
    return {
      lag: state ? state.lag(this.api.now()) : { changes: null, ms: null },
      lastBatch: state?.batch() ?? null,
      appliedChanges: progress?.appliedChanges ?? 0,
      conflictsResolved: progress?.conflictsResolved ?? 0,
      errors: progress?.errors ?? state?.failures ?? 0,
      failing: (state?.consecutiveFailures ?? 0) > 0,
      lastError: progress?.lastError ?? null,
      lastErrorAt: progress?.lastErrorAtMs ? new Date(progress.lastErrorAtMs).toISOString() : null,
      lastAppliedAt: progress?.lastAppliedAtMs ? new Date(progress.lastAppliedAtMs).toISOString() : null,
      initialLoads: state?.initialLoads ?? 0,
      waitingForUpgrade: state?.waitingForUpgrade ?? null,
      resumedAfterUpgradeAt: state?.resumedAfterUpgradeAt ?? null,
    };
  }
}
