/**
 * One PullScheduler per connected peer: started when the peer connects, stopped when it goes. A failed pull is
 * retried with backoff (not only at the next SYNC_INTERVAL tick), and a catch-up that stopped at the batch limit
 * continues at once.
 */
import { type PullOutcome, PullScheduler, type Replicator } from '@msk/replication';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff';

export interface PeerPullersProps {
  readonly replicator: Replicator;
  /** SYNC_INTERVAL: the fallback poll. */
  readonly fallbackIntervalMs: number;
  readonly onOutcome: (outcome: PullOutcome) => void;
  readonly onError: (peerId: string, error: unknown) => void;
  /** Failed pulls in a row with this peer (the retry delay grows with it). */
  readonly failuresInARow: (peerId: string) => number;
  readonly random?: () => number;
}

export function retryBackoff(fallbackIntervalMs: number): BackoffPolicy {
  return { initialMs: 250, maxMs: Math.max(250, Math.min(10_000, fallbackIntervalMs)), factor: 2, jitter: 0.2 };
}

export class PeerPullers {
  private readonly schedulers = new Map<string, PullScheduler>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** Schedulers being stopped: a peer that reconnects meanwhile starts after the old one finished. */
  private readonly stopping = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly props: PeerPullersProps) {}

  peers(): string[] {
    return [...this.schedulers.keys()];
  }

  connect(peerId: string): void {
    if (this.stopped) return;
    const existing = this.schedulers.get(peerId);
    if (existing) {
      existing.poke();
      return;
    }
    const stopping = this.stopping.get(peerId);
    if (stopping) {
      void stopping.then(() => this.connect(peerId));
      return;
    }
    const scheduler = new PullScheduler({
      replicator: this.props.replicator,
      peerId,
      fallbackIntervalMs: this.props.fallbackIntervalMs,
      onOutcome: (outcome) => {
        this.props.onOutcome(outcome);
        if (outcome.kind !== 'applied') this.retryLater(peerId);
        else if (outcome.hasMore) scheduler.poke();
      },
      onError: (error) => {
        this.props.onError(peerId, error);
        this.retryLater(peerId);
      },
    });
    this.schedulers.set(peerId, scheduler);
    scheduler.start();
  }

  /** A push from the peer (see PullScheduler.offer); false when the peer is not connected. */
  offer(peerId: string, push: unknown): Promise<boolean> {
    return this.schedulers.get(peerId)?.offer(push) ?? Promise.resolve(false);
  }

  poke(peerId: string): boolean {
    const scheduler = this.schedulers.get(peerId);
    scheduler?.poke();
    return scheduler !== undefined;
  }

  private retryLater(peerId: string): void {
    if (this.stopped || this.retries.has(peerId)) return;
    const delayMs = backoffDelayMs(
      retryBackoff(this.props.fallbackIntervalMs),
      Math.max(1, this.props.failuresInARow(peerId)),
      this.props.random ?? Math.random,
    );
    const timer = setTimeout(() => {
      this.retries.delete(peerId);
      this.schedulers.get(peerId)?.poke();
    }, delayMs);
    timer.unref();
    this.retries.set(peerId, timer);
  }

  async disconnect(peerId: string): Promise<void> {
    const scheduler = this.schedulers.get(peerId);
    this.schedulers.delete(peerId);
    clearTimeout(this.retries.get(peerId));
    this.retries.delete(peerId);
    if (!scheduler) return;
    const stopped = scheduler.stop().finally(() => this.stopping.delete(peerId));
    this.stopping.set(peerId, stopped);
    await stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.peers().map((peerId) => this.disconnect(peerId)));
  }
}
