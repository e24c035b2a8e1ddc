/**
 * Applying a peer's batch or snapshot: through the batch gate (store/batchGate.ts), then in ONE transaction with
 * our cursor on that peer (moved by compare and set), the origin set so capture stands aside — a fast path for
 * rows new to this node, the full merge (store/applyPlanner.ts) otherwise, retried on transient conflicts.
 */
import { hlcWallMs } from '../core/hlc';
import type { Cursor, ValidChange } from '../core/protocol';
import { sameCursor } from '../core/protocol';
import { newestHlc } from '../core/rowState';
import type { ApplyPlan } from '../store/applyPlanner';
import { planApply } from '../store/applyPlanner';
import type { PeerBatch } from '../store/batchGate';
import { gateBatch } from '../store/batchGate';
import type { ApplyOutcome } from '../store/replicationStore';
import { RowsAheadOfCursor } from '../store/rowsAheadOfCursor';
import { applyView, runnerFor } from './applyView';
import type { CaptureFolder } from './captureFolder';
import type { PeerCursors } from './peerCursors';
import { planStatements } from './planStatements';
import { CURSOR_MOVED_SQLSTATE, NOT_FRESH_SQLSTATE, SYNC_SCHEMA } from './sql';
import type { StoreContext } from './storeContext';
import { errorMessage, sqlState } from './storeContext';
import type { FreshRow, Sql } from './storeStatements';
import { INLINE_APPLY_MAX_CHANGES, freshInsertParams, freshInsertText, inline, literal } from './storeStatements';

/** States planned and written per step inside one apply transaction (bounds query parameter sizes). */
export const APPLY_CHUNK_CHANGES = 5000;
/** Attempts of one apply when PostgreSQL reports a transient conflict with local writers (deadlock, a key
 * taken meanwhile). */
export const MAX_APPLY_ATTEMPTS = 4;
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505', '23503']);
/** The apply's fast path met a row that is not new here (freshInsertText): unique violation, missing parent, or a blocker. */
const FRESH_PATH_MISSES = new Set([NOT_FRESH_SQLSTATE, '23505', '23503']);

/**
 * The batch's rows by table when every change could be a row new to this node — one stamp for all columns, no
 * tombstone (what a fresh insert folds to at its source); null otherwise. Whether they ARE new here, the
 * database decides (freshInsertText).
 */
function freshRowsOf(changes: readonly ValidChange[]): Map<string, FreshRow[]> | null {
  const rows = new Map<string, FreshRow[]>();
  for (const change of changes) {
    if (change.state.deletedHlc !== null) return null;
    let hlc: string | undefined;
    for (const stamp of Object.values(change.state.versions)) {
      if (hlc === undefined) hlc = stamp;
      else if (stamp !== hlc) return null;
    }
    if (hlc === undefined) return null;
    let list = rows.get(change.table);
    if (!list) rows.set(change.table, (list = []));
    list.push({ pk: change.pk, origin: change.origin, hlc, values: change.state.values });
  }
  return rows;
}

export class BatchApplier {
  private readonly rowsAhead = new RowsAheadOfCursor();

  constructor(
    private readonly context: StoreContext,
    private readonly folder: CaptureFolder,
    private readonly peers: PeerCursors,
  ) {}

  async apply(batch: PeerBatch): Promise<ApplyOutcome> {
    const { fromPeer, cursor } = batch;
    const { context } = this;
    const verdict = gateBatch(
      {
        schemaVersion: context.schemaVersion,
        tables: context.tables,
        tableByName: context.tableByName,
        nowMs: context.getNowMs(),
        maxFutureDriftMs: context.maxFutureDriftMs,
      },
      batch,
    );
    if (!verdict.pass) {
      if (verdict.refused) return this.refuse(fromPeer, verdict.problems);
      return {
        ok: false,
        problems: verdict.problems,
        ...(verdict.waitingForUpgrade ? { waitingForUpgrade: true } : {}),
      };
    }
    const changes = verdict.changes;
    if (changes.length === 0) {
      await this.peers.moveInMemory(fromPeer, cursor);
      return { ok: true, applied: 0, unchanged: 0, pending: 0, conflicts: [], cursor };
    }
    // a batch that leaves our cursor where it is: rows pushed ahead of the peer's log, which its next batch repeats
    const ahead = sameCursor(cursor, await this.peers.peerCursor(fromPeer));
    let lastError: unknown;
    let fresh = this.rowsAhead.seenAgain(fromPeer, changes) ? null : freshRowsOf(changes);
    for (let attempt = 1; attempt <= MAX_APPLY_ATTEMPTS; attempt++) {
      try {
        let outcome: ApplyOutcome | undefined;
        if (fresh) {
          outcome = await this.applyFresh(fromPeer, fresh, cursor);
          fresh = null; // not all new here, or a retry: the full merge
        }
        outcome ??= await this.applyInTransaction(fromPeer, changes, cursor);
        if (ahead) this.rowsAhead.note(fromPeer, changes);
        return outcome;
      } catch (error) {
        lastError = error;
        if (sqlState(error) === CURSOR_MOVED_SQLSTATE) {
          this.peers.forget(fromPeer);
          return this.refuse(fromPeer, [
            `our cursor on ${fromPeer} in the database is not where this service last left it (the database lost its last applies in a crash?): nothing was applied; pulling again from the stored cursor`,
          ]);
        }
        if (!RETRYABLE_SQLSTATES.has(sqlState(error) ?? '')) break;
      }
    }
    return this.refuse(fromPeer, [`applying the batch failed, nothing was applied: ${errorMessage(lastError)}`]);
  }

  private async refuse(fromPeer: string, problems: readonly string[]): Promise<ApplyOutcome> {
    await this.peers.recordPeerError(fromPeer, `batch refused: ${problems.join('; ')}`).catch(() => undefined);
    return { ok: false, problems };
  }

  /**
   * The fast path for a batch of rows new to this node (freshInsertText): a small batch goes in ONE round trip with
   * its cursor and COMMIT. Resolves undefined, having rolled back, when a row was not new here after all.
   */
  private async applyFresh(
    fromPeer: string,
    rows: ReadonlyMap<string, readonly FreshRow[]>,
    cursor: Cursor,
  ): Promise<ApplyOutcome | undefined> {
    const { context } = this;
    const expected = await this.peers.expectedCursor(fromPeer);
    const client = await context.connect();
    try {
      const run = runnerFor(client, context.writerOpening(fromPeer));
      const tables = context.orderedTables.filter((table) => rows.has(table.name));
      let count = 0;
      let newestWallMs = 0;
      for (const list of rows.values()) {
        count += list.length;
        for (const row of list) newestWallMs = Math.max(newestWallMs, hlcWallMs(row.hlc));
      }
      const small = count <= INLINE_APPLY_MAX_CHANGES;
      // small: the prepared statements with literal arguments; large: planned once for thousands of rows
      const executes: string[] = [];
      for (const table of tables) {
        const params = freshInsertParams(table, rows.get(table.name)!);
        if (small)
          executes.push(`EXECUTE msk_fresh_${context.tableIndex.get(table.name)}(${params.map(literal).join(', ')})`);
        else await run(freshInsertText(table), params);
      }
      await run(
        [
          ...executes,
          ...cursorAndCommitSql(fromPeer, cursor, expected, { applied: count, conflicts: 0, newestWallMs }),
        ].join(';\n'),
      );
      this.peers.committed(fromPeer, cursor);
      return { ok: true, applied: count, unchanged: 0, pending: 0, conflicts: [], cursor };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (FRESH_PATH_MISSES.has(sqlState(error) ?? '')) return undefined;
      throw error;
    } finally {
      client.release();
    }
  }

  private async applyInTransaction(
    fromPeer: string,
    changes: readonly ValidChange[],
    cursor: Cursor,
  ): Promise<ApplyOutcome> {
    const { context } = this;
    const expected = await this.peers.expectedCursor(fromPeer);
    const client = await context.connect();
    try {
      const run = runnerFor(client, context.writerOpening(fromPeer));
      let applied = 0;
      let unchanged = 0;
      let pending = 0;
      const conflicts: ApplyPlan['conflicts'][number][] = [];
      // Each chunk's writes must be in before the next chunk is planned. A small batch's writes go with the
      // cursor and COMMIT in one round trip (parameters inlined); a large one's go one statement at a time.
      const small = changes.length <= INLINE_APPLY_MAX_CHANGES;
      let lastWrites: Sql[] = [];
      const writeNow = async (writes: readonly Sql[]) => {
        for (const write of writes) await run(write.text, write.params);
      };
      for (let start = 0; start < changes.length; start += APPLY_CHUNK_CHANGES) {
        await writeNow(lastWrites);
        const plan = await planApply(
          applyView(context, this.folder, run),
          context.tables,
          changes.slice(start, start + APPLY_CHUNK_CHANGES),
          context.nodeId,
        );
        lastWrites = planStatements(plan, fromPeer, context.orderedTables);
        applied += plan.writes.filter((write) => write.stateChanged).length;
        pending += plan.writes.filter((write) => write.pendingParent !== null).length;
        unchanged += plan.unchanged;
        conflicts.push(...plan.conflicts);
      }
      let newestWallMs = 0;
      for (const change of changes) {
        const newest = newestHlc(change.state);
        if (newest) newestWallMs = Math.max(newestWallMs, hlcWallMs(newest));
      }
      if (!small) await writeNow(lastWrites);
      // cursor, counters, clock floor and COMMIT in one round trip, with the last writes of a small batch
      await run(
        [
          ...(small ? lastWrites.map(inline) : []),
          ...cursorAndCommitSql(fromPeer, cursor, expected, { applied, conflicts: conflicts.length, newestWallMs }),
        ].join(';\n'),
      );
      this.peers.committed(fromPeer, cursor);
      return { ok: true, applied, unchanged, pending, conflicts, cursor };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** Clock floor, the cursor (moved only from where this store left it, else nothing of the apply commits), the
 * peer's counters, and COMMIT. Every inlined value is validated (digits, hex id) or a number. */
function cursorAndCommitSql(
  fromPeer: string,
  cursor: Cursor,
  expected: Cursor | null,
  counts: { applied: number; conflicts: number; newestWallMs: number },
): string[] {
  const { applied, conflicts, newestWallMs } = counts;
  return [
    `UPDATE ${SYNC_SCHEMA}.node SET clock_floor_ms = ${newestWallMs} WHERE clock_floor_ms < ${newestWallMs}`,
    `WITH moved AS (${
      expected === null
        ? `INSERT INTO ${SYNC_SCHEMA}.peer AS p (node_id, cursor_xid, cursor_seq, last_applied_at, applied_changes, conflicts_resolved)
             VALUES ('${fromPeer}', '${cursor.xid}'::xid8, ${cursor.seq}, now(), ${applied}, ${conflicts})
             ON CONFLICT (node_id) DO UPDATE SET cursor_xid = excluded.cursor_xid, cursor_seq = excluded.cursor_seq,
               last_applied_at = now(), applied_changes = p.applied_changes + excluded.applied_changes,
               conflicts_resolved = p.conflicts_resolved + excluded.conflicts_resolved, last_error = NULL
             WHERE p.cursor_xid IS NULL`
        : `UPDATE ${SYNC_SCHEMA}.peer AS p SET cursor_xid = '${cursor.xid}'::xid8, cursor_seq = ${cursor.seq},
               last_applied_at = now(), applied_changes = p.applied_changes + ${applied},
               conflicts_resolved = p.conflicts_resolved + ${conflicts}, last_error = NULL
             WHERE p.node_id = '${fromPeer}' AND p.cursor_xid = '${expected.xid}'::xid8 AND p.cursor_seq = ${expected.seq}`
    } RETURNING 1)
       SELECT ${SYNC_SCHEMA}.expect_cursor_moved((SELECT count(*) FROM moved), '${fromPeer}')`,
    'COMMIT',
  ];
}
