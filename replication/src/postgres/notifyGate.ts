/**
 * The notify gate: capture NOTIFYs only while the sync service waits for a poke.
 *
 * PostgreSQL serializes notifying commits: it holds a global lock from pre-commit to the end of the commit, WAL
 * flush included. Four connections committing single-row inserts lose about half their rate to it (measured:
 * 8,600 -> 4,500 commits/s; 6,700 with the NOTIFY skipped). So while local commits come in quick succession the
 * service closes the gate (a sequence used as a flag: setval is not transactional, every session sees it at
 * once). Capture then counts its statement in UNNOTIFIED_WRITES instead of notifying, and the service probes that
 * counter every millisecond, poking on every move. Once a probe sees no new write, it reopens the gate.
 *
 * Why no commit goes unpoked. A statement that found the gate closed:
 *  - counts itself after reading the gate, so after the gate closed; the service read the counter before closing
 *    it, so some probe sees the counter move;
 *  - has its transaction's xid before it reads the gate (its writes took one), so before the gate reopened. After
 *    reopening, the service takes a new xid X in a transaction of its own and probes until no transaction older
 *    than X is running (the snapshot's xmin > X). Then, if the counter moved since the gate closed, it pokes once more: that
 *    poke's pull starts after every such transaction has ended.
 * A statement that found the gate open NOTIFYs at commit, as before.
 */
import type { ClientBase } from 'pg';
import { NOTIFY_GATE, UNNOTIFIED_WRITES } from './sql';

/** A NOTIFY this soon after the previous one closes the gate (isolated commits keep the plain NOTIFY path). */
export const GATE_CLOSE_WITHIN_MS = 5;
/** Probe period while the gate is closed. */
export const GATE_PROBE_MS = 1;
/** Longest probe period while a transaction older than the reopening keeps running (it doubles up to this). */
export const GATE_MAX_PROBE_MS = 50;

type Phase = 'open' | 'closed' | 'reopening';

/** The gate's timings (tests slow the probes down to write while the gate is closed). */
export interface GateTiming {
  readonly closeWithinMs: number;
  readonly probeMs: number;
  readonly maxProbeMs: number;
}
const DEFAULT_TIMING: GateTiming = {
  closeWithinMs: GATE_CLOSE_WITHIN_MS,
  probeMs: GATE_PROBE_MS,
  maxProbeMs: GATE_MAX_PROBE_MS,
};

// a fresh sequence's first nextval leaves last_value as it is and sets is_called
const WRITES = `(CASE WHEN w.is_called THEN w.last_value ELSE w.last_value - 1 END)::text`;
const PROBE = {
  name: 'msk_gate_probe',
  text: `SELECT ${WRITES} AS writes, pg_snapshot_xmin(pg_current_snapshot())::text AS oldest_running FROM ${UNNOTIFIED_WRITES} w`,
};
const STATE = `SELECT g.last_value AS gate, ${WRITES} AS writes FROM ${NOTIFY_GATE} g, ${UNNOTIFIED_WRITES} w`;
// the counter is read in a statement BEFORE the gate closes
const CLOSE = `SELECT ${WRITES} AS writes FROM ${UNNOTIFIED_WRITES} w; SELECT setval('${NOTIFY_GATE}', 0)`;
const REOPEN = `SELECT setval('${NOTIFY_GATE}', 1)`;
// A new xid, taken in a transaction of its own AFTER the reopening: larger than any xid taken before. (A snapshot's
// xmax is not that: it is the newest COMPLETED xid + 1, and a running transaction may have a larger one.)
const NEXT_XID = 'SELECT pg_current_xact_id()::text AS xid';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class NotifyGate {
  private phase: Phase = 'open';
  private lastNotifiedMs = Number.NEGATIVE_INFINITY;
  private closeWanted = false;
  private running = false;
  private stopped = false;
  /** UNNOTIFIED_WRITES as last read. */
  private writes = '';
  /** The counter moved since the gate closed and no poke has yet followed every such writer's end. */
  private owesPoke = false;
  /** A fresh xid taken right after the gate reopened (NEXT_XID). */
  private reopenedAt = 0n;

  /**
   * @param client the LISTEN connection (it must hold the gate's advisory lock: one driver per database)
   * @param poke tells the store's listeners
   * @param broken a gate query failed: the store drops the connection and opens a new one (whose driver takes over)
   */
  constructor(
    private readonly client: ClientBase,
    private readonly poke: () => void,
    private readonly broken: (error: unknown) => void,
    private readonly timing: GateTiming = DEFAULT_TIMING,
  ) {}

  /** Takes over the gate as the last driver left it. Left closed, it may have writers not poked yet: reopen it
   * the same way, with a last poke after them. */
  async start(): Promise<void> {
    const state = (await this.client.query<{ gate: string; writes: string }>(STATE)).rows[0]!;
    if (Number(state.gate) === 1) return;
    this.writes = state.writes;
    this.owesPoke = true;
    this.phase = 'closed';
    void this.drive();
  }

  /** A NOTIFY arrived (the store pokes for it): close the gate when commits come in quick succession. */
  notified(): void {
    const nowMs = Date.now();
    const quick = nowMs - this.lastNotifiedMs < this.timing.closeWithinMs;
    this.lastNotifiedMs = nowMs;
    // a NOTIFY while reopening: writes keep coming, close again
    if (this.phase === 'reopening' || (this.phase === 'open' && quick)) {
      this.closeWanted = true;
      void this.drive();
    }
  }

  /** Stops probing (the connection is closing; the next driver takes the gate over as it finds it). */
  stop(): void {
    this.stopped = true;
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  private async drive(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      let delayMs = this.timing.probeMs;
      while (!this.stopped) {
        if (this.closeWanted) {
          this.closeWanted = false;
          const [counter] = (await this.client.query(CLOSE)) as unknown as { rows: { writes: string }[] }[];
          this.writes = counter!.rows[0]!.writes;
          this.phase = 'closed';
          delayMs = this.timing.probeMs;
        }
        if (this.phase === 'open' || this.stopped) break;
        await sleep(delayMs);
        const probe = (await this.client.query<{ writes: string; oldest_running: string }>(PROBE)).rows[0]!;
        const moved = probe.writes !== this.writes;
        if (moved) {
          this.writes = probe.writes;
          this.owesPoke = true;
          this.poke();
        }
        if (this.phase === 'closed') {
          if (moved || this.closeWanted) continue;
          await this.client.query(REOPEN);
          this.reopenedAt = BigInt((await this.client.query<{ xid: string }>(NEXT_XID)).rows[0]!.xid);
          this.phase = 'reopening';
        } else if (BigInt(probe.oldest_running) > this.reopenedAt) {
          // every writer that found the gate closed has ended: one poke after all of them, then NOTIFY again
          if (this.owesPoke && !moved) this.poke();
          this.owesPoke = false;
          if (!this.closeWanted) this.phase = 'open';
        } else {
          delayMs = Math.min(delayMs * 2, this.timing.maxProbeMs);
        }
      }
    } catch (error) {
      this.stopped = true;
      this.broken(error);
    } finally {
      this.running = false;
    }
  }
}
