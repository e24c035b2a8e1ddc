/**
 * When to pull from one peer: at once when poked (the peer committed something: LISTEN/NOTIFY there, a
 * "pull now" message over the channel), otherwise every `fallbackIntervalMs` (SYNC_INTERVAL). Pokes that arrive
 * while a pull runs are coalesced into one more pull after it, so a burst of commits costs at most two pulls.
 */
import type { PullOutcome, Replicator } from './replicator';

export interface PullSchedulerProps {
  readonly replicator: Replicator;
  readonly peerId: string;
  /** Fallback poll period; 0 disables it. */
  readonly fallbackIntervalMs: number;
  /** Called after every catch-up (status, metrics, logs). */
  readonly onOutcome?: (outcome: PullOutcome) => void;
  /** Called when a pull threw (e.g. the local database is down); the next poke or tick tries again. */
  readonly onError?: (error: unknown) => void;
}

export class PullScheduler {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly props: PullSchedulerProps) {}

  start(): this {
    if (this.props.fallbackIntervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => this.poke(), this.props.fallbackIntervalMs);
      this.timer.unref();
    }
    this.poke();
    return this;
  }

  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    do {
      this.again = false;
      try {
        const { last } = await this.props.replicator.catchUp(this.props.peerId);
        this.props.onOutcome?.(last);
      } catch (error) {
        this.props.onError?.(error);
      }
    } while (this.again && !this.stopped);
  }

  /** Stops the timer and waits for a running pull to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
