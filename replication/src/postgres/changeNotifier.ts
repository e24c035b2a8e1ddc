/**
 * How the store learns of local commits and tells its listeners (onChange): LISTEN on the capture triggers'
 * NOTIFY (the notify gate, notifyGate.ts, coalesces them; a NOTIFY's payload points at committed rows read ahead
 * of the next pull, committedRows.ts), or, in poll mode or while another connection drives the gate, a probe of
 * the log's head every interval. A broken LISTEN connection reconnects after LISTEN_RECONNECT_DELAY_MS.
 */
import { Client } from 'pg';
import type { RowChange } from '../core/protocol';
import type { ChangeListener } from '../store/replicationStore';
import type { ChangeReader } from './changeReader';
import { ROWS_AHEAD_MAX_POSITIONS, RowsAheadReads, notifiedPosition } from './committedRows';
import { LOG } from './logRows';
import { NotifyGate } from './notifyGate';
import { CHANGE_CHANNEL, NOTIFY_GATE_LOCK_KEY, SYNC_SCHEMA } from './sql';
import type { StoreContext } from './storeContext';
import { sessionConnection } from './storeContext';

/** Delay before the LISTEN connection is opened again after it broke. */
export const LISTEN_RECONNECT_DELAY_MS = 1000;
/** A LISTEN connection that found the notify gate driven by another reconnects after this long, to try again. */
export const GATE_FOLLOWER_RETRY_MS = 30_000;
/** In poll mode, how often committed-but-unfolded local writes poke again until a pull takes them. */
export const POLL_REPOKE_MS = 20;

export class ChangeNotifier {
  private readonly listeners = new Set<ChangeListener>();
  private listenClient: Client | undefined;
  private listenTimer: NodeJS.Timeout | undefined;
  private listenReady: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  /** Poll mode: the change log's head at the last probe. */
  private polledHead: string | null | undefined;
  private listenedBefore = false;
  /** Notify mode without the gate's lock: another connection drives the gate, so this store polls as well. */
  private gateFollower = false;

  /** `pollIntervalMs`: poll mode (no NOTIFY); undefined: notify mode. */
  constructor(
    private readonly context: StoreContext,
    private readonly reader: ChangeReader,
    private readonly pollIntervalMs: number | undefined,
  ) {}

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    if (this.pollIntervalMs !== undefined || this.gateFollower) {
      if (!this.pollTimer) this.poll(this.pollIntervalMs ?? POLL_REPOKE_MS);
    } else if (!this.listenClient && !this.listenTimer) {
      this.listen();
    }
    return () => {
      this.listeners.delete(listener);
      // nobody to tell: stop asking (the connection stays for the next listener)
      if (this.listeners.size === 0 && this.pollTimer) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
      }
    };
  }

  /**
   * Poll mode: one dedicated connection asks, every interval, whether committed local writes wait to be folded
   * or the change log moved (an apply that others may want relayed). Only committed rows count: a sequence
   * would move before the commit and the poke would come too early.
   */
  private poll(intervalMs: number): void {
    const probe = `SELECT EXISTS (SELECT 1 FROM ${SYNC_SCHEMA}.capture_log) AS unfolded,
      (SELECT xid::text || '/' || seq::text FROM ${LOG} ORDER BY xid DESC, seq DESC LIMIT 1) AS head`;
    let client = this.listenClient;
    if (!client) {
      const opened = new Client(sessionConnection(this.context.connectionString));
      client = this.listenClient = opened;
      opened.on('error', () => undefined);
      this.listenReady = opened.connect().then(async () => {
        this.polledHead = (await opened.query<{ head: string | null }>(probe)).rows[0]?.head;
      });
    }
    const polling = client;
    let lastFiredMs = 0;
    let busy = false;
    this.pollTimer = setInterval(() => {
      if (busy || this.context.closed) return;
      busy = true;
      this.listenReady
        .then(() => polling.query<{ unfolded: boolean; head: string | null }>(probe))
        .then((result) => {
          const { unfolded, head } = result.rows[0]!;
          const nowMs = Date.now();
          // unfolded entries poke again every POLL_REPOKE_MS until someone pulls (and so folds) them
          if (head !== this.polledHead || (unfolded && nowMs - lastFiredMs >= POLL_REPOKE_MS)) {
            this.polledHead = head;
            lastFiredMs = nowMs;
            for (const listener of this.listeners) listener();
          }
        })
        .catch(() => undefined)
        .finally(() => {
          busy = false;
        });
    }, intervalMs);
    this.pollTimer.unref();
  }

  private listen(): void {
    if (this.context.closed) return;
    const client = new Client(sessionConnection(this.context.connectionString));
    this.listenClient = client;
    let gate: NotifyGate | undefined;
    const tell = (committedRow?: RowChange) => {
      for (const listener of this.listeners) listener(committedRow);
    };
    const retry = () => {
      gate?.stop();
      if (this.listenClient !== client) return;
      this.listenClient = undefined;
      this.gateFollower = false;
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      client.end().catch(() => undefined);
      if (this.context.closed || this.listeners.size === 0) return;
      this.listenTimer = setTimeout(() => {
        this.listenTimer = undefined;
        this.listen();
      }, LISTEN_RECONNECT_DELAY_MS);
      this.listenTimer.unref();
    };
    // The NOTIFYs of one read (commits that came together) make one poke. Their payloads are hints at most
    // (committedRows.ts): the rows they point at are read from the log, on this connection, before the poke.
    let burst = false;
    const positions = new Set<string>();
    const reads = new RowsAheadReads();
    const pokeForBurst = () => {
      burst = false;
      const hinted = [...positions];
      positions.clear();
      gate?.notified();
      const reading = hinted.length > 0 ? reads.start(() => this.reader.committedRows(client, hinted)) : null;
      if (reading === null) return tell();
      void reading.then((rows) => {
        if (rows.length === 0) tell();
        for (const row of rows) tell(row);
      });
    };
    client.on('notification', (message) => {
      if (!burst) {
        burst = true;
        setImmediate(pokeForBurst);
      }
      const position = notifiedPosition(message.payload ?? '');
      if (position !== null && positions.size < ROWS_AHEAD_MAX_POSITIONS) positions.add(position);
    });
    client.on('error', retry);
    client.on('end', retry);
    const reconnecting = this.listenedBefore;
    this.listenedBefore = true;
    this.listenReady = client
      .connect()
      .then(async () => {
        const results = (await client.query(
          `SET synchronous_commit = off; LISTEN ${CHANGE_CHANNEL}; SELECT pg_try_advisory_lock(${NOTIFY_GATE_LOCK_KEY}) AS driver`,
        )) as unknown as { rows: { driver?: boolean }[] }[];
        if (results[2]!.rows[0]!.driver) {
          gate = new NotifyGate(client, tell, retry);
          await gate.start();
        } else {
          // another connection drives the gate (a second service on this database, or the connection of one that
          // went away without closing it) and may close it: poll too, and try for the lock again later
          this.gateFollower = true;
          if (this.listeners.size > 0) this.poll(POLL_REPOKE_MS);
          setTimeout(retry, GATE_FOLLOWER_RETRY_MS).unref();
        }
        // Commits made while the LISTEN connection was down notified nobody: poke once after reconnecting.
        if (reconnecting) tell();
      })
      .catch(retry);
  }

  /** Resolves once the LISTEN connection is ready (tests and the benchmark wait for it). */
  listening(): Promise<void> {
    return this.listenReady;
  }

  /** Stops listening and polling (the context is already marked closed). */
  async stop(): Promise<void> {
    this.listeners.clear();
    clearTimeout(this.listenTimer);
    clearInterval(this.pollTimer);
    const listenClient = this.listenClient;
    this.listenClient = undefined;
    await listenClient?.end().catch(() => undefined);
  }
}
