/**
 * The engine's Replicator plus the decision of WHEN to load a snapshot: once, before the first pull, on a node
 * that has never applied anything from any peer (new or wiped database), and whenever a peer answers "reload
 * required" (our cursor fell behind its purge horizon). One load at a time; other peers' pulls wait for it.
 *
 * The load passes no other peers to `initialLoad`, so their cursors are NOT moved to their heads: those peers are
 * pulled from the start of their logs instead. That costs one extra copy of their states, but stays correct when
 * several nodes load at once (a fresh cluster), where "what a peer wrote earlier reaches us through the source"
 * does not hold — the source may have skipped it too.
 */
import { type PullOutcome, Replicator, type ReplicatorProps } from '@msk/replication';

export interface LoadingReplicatorProps extends ReplicatorProps {
  readonly needsInitialLoad: boolean;
  readonly onInitialLoad?: (outcome: PullOutcome) => void;
}

export type CatchUpResult = Awaited<ReturnType<Replicator['catchUp']>>;

export class LoadingReplicator extends Replicator {
  private needsLoad: boolean;
  private loading: Promise<PullOutcome> | undefined;
  private readonly onInitialLoad: ((outcome: PullOutcome) => void) | undefined;

  constructor(props: LoadingReplicatorProps) {
    super(props);
    this.needsLoad = props.needsInitialLoad;
    this.onInitialLoad = props.onInitialLoad;
  }

  get waitingForInitialLoad(): boolean {
    return this.needsLoad;
  }

  private async load(peerId: string, forced: boolean): Promise<PullOutcome | undefined> {
    while (this.loading) await this.loading.catch(() => undefined);
    if (!forced && !this.needsLoad) return undefined;
    this.loading = this.initialLoad(peerId, []);
    try {
      const outcome = await this.loading;
      if (outcome.kind === 'applied') this.needsLoad = false;
      this.onInitialLoad?.(outcome);
      return outcome;
    } finally {
      this.loading = undefined;
    }
  }

  /** No pushes before the initial load: the pull that the refusal leads to loads the snapshot. */
  override async applyPushed(peerId: string, raw: unknown): Promise<PullOutcome | null> {
    if (this.needsLoad || this.loading) return null;
    return super.applyPushed(peerId, raw);
  }

  override async catchUp(peerId: string): Promise<CatchUpResult> {
    if (this.needsLoad || this.loading) {
      const outcome = await this.load(peerId, false);
      if (outcome && outcome.kind !== 'applied') return { batches: 1, applied: 0, last: outcome };
    }
    const result = await super.catchUp(peerId);
    if (result.last.kind !== 'reload-required') return result;
    const reload = await this.load(peerId, true);
    if (!reload || reload.kind !== 'applied')
      return { batches: result.batches + 1, applied: result.applied, last: reload ?? result.last };
    const after = await super.catchUp(peerId);
    return {
      batches: result.batches + 1 + after.batches,
      applied: result.applied + reload.applied + after.applied,
      last: after.last,
    };
  }
}
