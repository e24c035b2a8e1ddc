/**
 * The hash-converged detector of the partition measure: checks every node's table hash until all are equal.
 * Clock and sleep come in as parameters, so the unit tests drive it without timers.
 */

/** Every hash equal (and there is at least one). */
export const allEqual = (hashes: readonly string[]) => hashes.length > 0 && hashes.every((h) => h === hashes[0]);

export interface ConvergenceProps {
  /** One reading per node (a hash, or anything that differs while the nodes do). */
  readonly readHashes: () => Promise<readonly string[]>;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<unknown>;
  /** Pause between two checks. */
  readonly intervalMs: number;
  /** Give up this long after the first check started. */
  readonly timeoutMs: number;
}

export interface Converged {
  /** When the first check that found every hash equal started (the nodes were equal by then). */
  readonly convergedAtMs: number;
  readonly checks: number;
}

export async function waitForEqualHashes(props: ConvergenceProps): Promise<Converged> {
  const deadline = props.now() + props.timeoutMs;
  for (let checks = 1; ; checks++) {
    const startedMs = props.now();
    const hashes = await props.readHashes();
    if (allEqual(hashes)) return { convergedAtMs: startedMs, checks };
    if (props.now() >= deadline) {
      throw new Error(
        `the nodes did not converge within ${props.timeoutMs} ms (${checks} checks; last readings: ${hashes.map((h) => h.slice(0, 16)).join(', ')})`,
      );
    }
    await props.sleep(props.intervalMs);
  }
}
