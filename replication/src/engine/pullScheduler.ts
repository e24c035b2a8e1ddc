/**
 * When to pull from one peer: at once when poked (the peer committed something: LISTEN/NOTIFY there, a
 * "pull now" message over the channel), otherwise every `fallbackIntervalMs` (SYNC_INTERVAL). Pokes that arrive
 * while a pull runs are coalesced into one more pull after it, so a burst of commits costs at most two pulls.
 * A push (a poke with the changes) is applied in the same sequence, never beside a pull.
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

  /**
   * A push from the peer: applied at once when nothing runs, else it counts as a poke (the pull after the
   * running one fetches the same changes). Resolves whether the push was applied; a push that did not start at
   * our cursor, or failed, is followed by a pull.
   */
  offer(push: unknown): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (this.running) {
      this.again = true;
      return Promise.resolve(false);
    }
    let applied!: (accepted: boolean) => void;
    const accepted = new Promise<boolean>((resolve) => (applied = resolve));
    this.running = this.run({ push, applied }).finally(() => {
      this.running = undefined;
      applied(false); // stopped or threw before deciding
    });
    return accepted;
  }

  private async run(first?: { push: unknown; applied: (accepted: boolean) => void }): Promise<void> {
    let pushed = first;
    do {
      this.again = false;
      try {
        if (pushed) {
          const { push, applied } = pushed;
          pushed = undefined;
          const outcome = await this.props.replicator.applyPushed(this.props.peerId, push);
          applied(outcome?.kind === 'applied');
          if (outcome) this.props.onOutcome?.(outcome);
          if (outcome?.kind !== 'applied') this.again = true;
        } else {
          const { last } = await this.props.replicator.catchUp(this.props.peerId);
          this.props.onOutcome?.(last);
        }
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
