/**
 * What status reads from the store's own tables: the unique-constraint conflicts this node resolved
 * (msk_sync.conflict, written with each apply that resolved one, planStatements.ts), and the incarnation
 * msk_sync.node holds now.
 */
import type { Pool } from 'pg';
import type { UniqueConflictRecord } from '../store/replicationStore';
import { SYNC_SCHEMA } from './sql';

/** A resolved conflict as recorded: which peer's batch met it, and when (ISO 8601, UTC). */
export interface RecordedConflict extends UniqueConflictRecord {
  readonly fromPeer: string;
  readonly detectedAt: string;
}

export interface RecentConflicts {
  /** Every conflict recorded on this node. */
  readonly total: number;
  /** The newest ones, newest first. */
  readonly recent: readonly RecordedConflict[];
}

export async function readRecentConflicts(pool: Pool, limit: number): Promise<RecentConflicts> {
  if (!Number.isInteger(limit) || limit < 0)
    throw new RangeError(`conflict limit must be a whole number of rows (got ${limit})`);
  const result = await pool.query<RecordedConflict & { total: string }>(
    `SELECT tbl AS "table", constraint_name AS "constraint", winner_pk::text AS "winnerPk", loser_pk::text AS "loserPk",
            renamed_column AS "renamedColumn", renamed_to AS "renamedTo", from_peer AS "fromPeer",
            to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "detectedAt",
            count(*) OVER ()::text AS total
     FROM ${SYNC_SCHEMA}.conflict ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return { total: Number(result.rows[0]?.total ?? 0), recent: result.rows.map(({ total: _total, ...row }) => row) };
}

/** The incarnation msk_sync.node holds now (a restore gives the database a new one); null before install. */
export async function readStoredIncarnation(pool: Pool): Promise<string | null> {
  const { rows } = await pool.query<{ incarnation: string | null }>(`SELECT incarnation FROM ${SYNC_SCHEMA}.node`);
  return rows[0]?.incarnation ?? null;
}
