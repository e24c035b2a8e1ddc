/**
 * A steady write load through the app's Service: one create at a time, each acknowledged id kept, each refusal
 * counted (a pod being replaced may refuse or drop a request; that write was never acknowledged). Bounded in
 * count and time: it stops by itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SignedInSession } from '../../support/sessionClient';
import { eventually } from '../../support/eventually';

const MAX_WRITES = 5_000;
const MAX_DURATION_MS = 20 * 60_000;
const PAUSE_MS = 50;
const PAUSE_AFTER_FAILURE_MS = 500;

export interface WriteLoadOptions {
  readonly url: string;
  readonly session: SignedInSession;
  readonly create: (url: string, session: SignedInSession, name: string) => Promise<string>;
}

export interface RunningWriteLoad {
  readonly acknowledged: readonly string[];
  readonly failed: number;
  /** Refusals by kind (an HTTP status or the network error), for the test's report. */
  readonly failures: ReadonlyMap<string, number>;
  waitForAcknowledged(count: number): Promise<void>;
  stop(): Promise<void>;
}

export function writeLoad(options: WriteLoadOptions): RunningWriteLoad {
  const acknowledged: string[] = [];
  let failed = 0;
  let lastError = '';
  const failures = new Map<string, number>();
  let stopping = false;
  const startedAt = Date.now();

  const loop = (async () => {
    for (let n = 0; !stopping && n < MAX_WRITES && Date.now() - startedAt < MAX_DURATION_MS; n++) {
      try {
        acknowledged.push(await options.create(options.url, options.session, `Steady load ${startedAt}-${n}`));
        await sleep(PAUSE_MS);
      } catch (error) {
        failed++;
        lastError = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
        const kind = /HTTP \d+/.exec(lastError)?.[0] ?? lastError.slice(0, 60);
        failures.set(kind, (failures.get(kind) ?? 0) + 1);
        await sleep(PAUSE_AFTER_FAILURE_MS);
      }
    }
  })();

  return {
    acknowledged,
    get failed() {
      return failed;
    },
    failures,
    waitForAcknowledged: (count) =>
      eventually(
        async () => {
          if (acknowledged.length < count) throw new Error(`${acknowledged.length} acknowledged, ${failed} failed; last error: ${lastError}`);
        },
        { what: `${count} acknowledged writes through ${options.url}`, timeoutMs: 300_000, intervalMs: 500 },
      ),
    stop: async () => {
      stopping = true;
      await loop;
    },
  };
}
