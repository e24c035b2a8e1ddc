/**
 * The engine's Replicator plus the decision of WHEN to load a snapshot: once, before the first pull, on a node
 * that has never applied anything from any peer (new or wiped database), and whenever a peer answers "reload
 * required" (our cursor fell behind its purge horizon). One load at a time; other peers' pulls wait for it.
 *
 * The load passes no other peers to `initialLoad`, so their cursors are NOT moved to their heads: those peers are
 * pulled from the start of their logs instead. That costs one extra copy of their states, but stays correct when
 * several nodes load at once (a fresh cluster), where "what a peer wrote earlier reaches us through the source"
 * does not hold — the source may have skipped it too.
 *
 * It also tells how far the node's initial load is (`initialLoad`): while it runs the node holds part of the data.
 * An initial load of more than one page is recorded in the database with the source's fence before its first page
 * is applied (msk_sync.initial_load), so a node restarted in the middle knows it is still loading: it catches up by
 * pulls from the page it reached, and the load counts as done once its cursor on the source passes the fence. A
 * forced reload of a node that completed its initial load is no initial load (its data is complete, if stale).
 */
import {
  type InitialLoadInProgress,
  type LoadProgress,
  type PullOutcome,
  Replicator,
  type ReplicatorProps,
} from '@msk/replication';

/** Where the load in progress is kept across restarts (PostgresReplicationStore; an in-memory one in tests). */
export interface InitialLoadRecord {
  initialLoadInProgress(): Promise<InitialLoadInProgress | null>;
  recordInitialLoadInProgress(peerId: string, fence: string): Promise<void>;
  clearInitialLoadInProgress(): Promise<void>;
}

export interface LoadingReplicatorProps extends ReplicatorProps {
  readonly needsInitialLoad: boolean;
  /**
   * Whether the database held replicated rows of its own when the service started (a node that ran alone, a
   * restored one, or only the first admin a new node's app creates). Such a node waits for its load like any other,
   * but once a peer refused it (another schema version, a bad page: not merely unreachable) it serves its own rows
   * instead of staying unready until that changes: a node that served alone must not go dark because its first
   * peer cannot serve it. @default false
   */
  readonly heldData?: boolean;
  /** The load a previous run of the service left unfinished (read from `loadRecord` at start). @default null */
  readonly interruptedLoad?: InitialLoadInProgress | null;
  /** @default none: a restart in the middle of a load is not noticed */
  readonly loadRecord?: InitialLoadRecord;
  readonly onInitialLoad?: (outcome: PullOutcome) => void;
  /** A failure to record or clear the load in progress (the database went away); the load itself goes on. */
  readonly onRecordError?: (error: unknown) => void;
}

export type CatchUpResult = Awaited<ReturnType<Replicator['catchUp']>>;

/**
 * none: no initial load due. due: this node never applied anything and waits for a peer to load from.
 * loading: the initial load runs. catching-up: a load cut short by a restart, finished by pulls from its source.
 * reloading: a forced reload ("reload required") of a node that holds the data.
 */
export type InitialLoadPhase = 'none' | 'due' | 'loading' | 'catching-up' | 'reloading';

export interface InitialLoadView {
  readonly phase: InitialLoadPhase;
  /** The peer loaded from (null while due, and when none). */
  readonly sourcePeerId: string | null;
  readonly fence: string | null;
  /** Pages and row states applied by this process's load (a restarted node counts from 0 again). */
  readonly pages: number;
  readonly rowsReceived: number;
  readonly rowsApplied: number;
  readonly startedAtMs: number | null;
  /** The node held rows of its own before this load (see LoadingReplicatorProps.heldData). @default false */
  readonly heldData?: boolean;
  /** Why the last attempt at the initial load was refused (cleared when one is applied). @default null */
  readonly refusal?: string | null;
}

const DECIMAL = /^[0-9]{1,20}$/;

/** The fence a snapshot-page answer names, and whether more pages follow it (the engine validates the page itself
 * before applying it). */
function pageOf(answer: unknown): { fence: string; hasMore: boolean } | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const { fence, hasMore } = answer as { fence?: unknown; hasMore?: unknown };
  return typeof fence === 'string' && DECIMAL.test(fence) ? { fence, hasMore: hasMore === true } : undefined;
}

export class LoadingReplicator extends Replicator {
  private needsLoad: boolean;
  private readonly heldData: boolean;
  private refusal: string | null = null;
  private loading: Promise<PullOutcome> | undefined;
  private readonly onInitialLoad: ((outcome: PullOutcome) => void) | undefined;
  private readonly loadRecord: InitialLoadRecord | undefined;
  private readonly onRecordError: (error: unknown) => void;
  /** The unfinished initial load (recorded, or cut short by a restart). */
  private interrupted: InitialLoadInProgress | null;
  private view: InitialLoadView;
  /** The fence of the last snapshot page each peer answered. A page read ahead with another fence (the source was
   * replaced mid-load) may be seen before the page applied: the later fence is recorded, which only makes a restarted
   * node wait longer. */
  private readonly fences = new Map<string, string>();
  /** The fence this load recorded in the database (null: none recorded). */
  private recordedFence: string | null = null;
  private readonly cursors: Pick<ReplicatorProps['store'], 'peerCursor'>;
  private readonly nowMs: () => number;

  constructor(props: LoadingReplicatorProps) {
    const inner = props.transport;
    const snapshotPage = inner.snapshotPage;
    let observe: (progress: LoadProgress) => void = () => undefined;
    let pageAnswered: (peerId: string, page: { fence: string; hasMore: boolean }) => Promise<void> = async () =>
      undefined;
    super({
      ...props,
      transport: {
        pull: (peerId, request) => inner.pull(peerId, request),
        snapshot: (peerId, request) => inner.snapshot(peerId, request),
        ...(snapshotPage && {
          snapshotPage: async (peerId, request) => {
            const answer = await snapshotPage.call(inner, peerId, request);
            const page = pageOf(answer);
            if (page) await pageAnswered(peerId, page);
            return answer;
          },
        }),
      },
      onLoadProgress: (progress) => {
        observe(progress);
        props.onLoadProgress?.(progress);
      },
    });
    observe = (progress) => this.pageApplied(progress);
    pageAnswered = (peerId, page) => this.pageAnswered(peerId, page);
    this.cursors = props.store;
    this.nowMs = props.getNowMs ?? Date.now;
    this.needsLoad = props.needsInitialLoad;
    this.heldData = props.heldData ?? false;
    this.onInitialLoad = props.onInitialLoad;
    this.loadRecord = props.loadRecord;
    this.onRecordError = props.onRecordError ?? (() => undefined);
    this.interrupted = props.interruptedLoad ?? null;
    this.view = this.idleView();
  }

  /** Where the initial load stands (for the status document). */
  get initialLoadView(): InitialLoadView {
    return { ...this.view, heldData: this.heldData, refusal: this.refusal };
  }

  private idleView(): InitialLoadView {
    const none = { pages: 0, rowsReceived: 0, rowsApplied: 0 };
    if (this.interrupted)
      return {
        phase: 'catching-up',
        sourcePeerId: this.interrupted.peerId,
        fence: this.interrupted.fence,
        startedAtMs: this.interrupted.startedAtMs,
        ...none,
      };
    return {
      phase: this.needsLoad ? 'due' : 'none',
      sourcePeerId: null,
      fence: null,
      startedAtMs: null,
      ...none,
    };
  }

  /**
   * A page of the running load arrived. A page that more pages follow is the load's first (or names a new fence):
   * the load is recorded in the database BEFORE the page is applied, so no restart can find a cursor on the source
   * without the record that says the load is unfinished. A load of one page records nothing: it is done when applied.
   */
  private async pageAnswered(peerId: string, page: { fence: string; hasMore: boolean }): Promise<void> {
    this.fences.set(peerId, page.fence);
    if (this.view.phase !== 'loading' || this.view.sourcePeerId !== peerId || !page.hasMore) return;
    if (page.fence === this.recordedFence || !this.loadRecord) return;
    this.recordedFence = page.fence;
    await this.loadRecord.recordInitialLoadInProgress(peerId, page.fence).catch(this.onRecordError);
  }

  /** A page of the running load was applied: count it. */
  private pageApplied(progress: LoadProgress): void {
    this.view = {
      ...this.view,
      fence: this.fences.get(progress.peerId) ?? null,
      pages: progress.pages,
      rowsReceived: progress.received,
      rowsApplied: progress.applied,
    };
  }

  /** The initial load is complete: nothing is in progress any more, here or in the database. */
  private async initialLoadDone(): Promise<void> {
    const wasRecorded = this.interrupted !== null || this.recordedFence !== null;
    this.needsLoad = false;
    this.interrupted = null;
    this.recordedFence = null;
    if (wasRecorded && this.loadRecord) await this.loadRecord.clearInitialLoadInProgress().catch(this.onRecordError);
  }

  private async load(peerId: string, forced: boolean): Promise<PullOutcome | undefined> {
    while (this.loading) await this.loading.catch(() => undefined);
    if (!forced && !this.needsLoad) return undefined;
    const initial = this.needsLoad || this.interrupted !== null;
    this.view = {
      phase: initial ? 'loading' : 'reloading',
      sourcePeerId: peerId,
      fence: null,
      pages: 0,
      rowsReceived: 0,
      rowsApplied: 0,
      startedAtMs: this.nowMs(),
    };
    this.loading = this.initialLoad(peerId, []);
    try {
      const outcome = await this.loading;
      if (outcome.kind === 'applied' && initial) await this.initialLoadDone();
      if (initial && outcome.kind !== 'unreachable' && outcome.kind !== 'peer-not-ready')
        this.refusal = outcome.kind === 'applied' ? null : `${outcome.kind}: ${outcome.message}`;
      this.onInitialLoad?.(outcome);
      return outcome;
    } finally {
      this.loading = undefined;
      this.view = this.idleView();
    }
  }

  /** After pulls from the source of a load cut short by a restart: done once our cursor there passes its fence. */
  private async checkInterrupted(peerId: string): Promise<void> {
    const interrupted = this.interrupted;
    if (!interrupted || interrupted.peerId !== peerId || this.loading) return;
    const cursor = await this.cursors.peerCursor(peerId);
    if (cursor === null || BigInt(cursor.xid) < BigInt(interrupted.fence)) return;
    await this.initialLoadDone();
    this.view = this.idleView();
  }

  /** No pushes before the initial load: the pull that the refusal leads to loads the snapshot. */
  override async applyPushed(peerId: string, raw: unknown): Promise<PullOutcome | null> {
    if (this.needsLoad || this.loading) return null;
    const outcome = await super.applyPushed(peerId, raw);
    await this.checkInterrupted(peerId);
    return outcome;
  }

  override async catchUp(peerId: string): Promise<CatchUpResult> {
    if (this.needsLoad || this.loading) {
      const outcome = await this.load(peerId, false);
      if (outcome && outcome.kind !== 'applied') return { batches: 1, applied: 0, last: outcome };
    }
    const result = await super.catchUp(peerId);
    if (result.last.kind !== 'reload-required') {
      await this.checkInterrupted(peerId);
      return result;
    }
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
