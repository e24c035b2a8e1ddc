/**
 * The start-up check of the configured tables against the live schema (the judgement is core/tableRequirements.ts;
 * this is its I/O): one connection, the catalog read, every problem of every table.
 */
import { Client } from 'pg';
import { type TableProblem, checkReplicatedTables, readTableCatalog } from '@msk/replication';
import { SCHEMA_PROBE_TIMEOUT_MS } from './schemaWait';

/** While the tables are refused, how often they are checked again (a migration that fixes them is picked up). */
export const REFUSED_RECHECK_INTERVAL_MS = 5_000;

export async function liveTableProblems(connectionString: string, tables: readonly string[]): Promise<TableProblem[]> {
  const client = new Client({ connectionString, connectionTimeoutMillis: SCHEMA_PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return checkReplicatedTables(tables, (await readTableCatalog(client, tables)).facts);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Problems as readiness reasons and log lines: one line each, with its fix. */
export function refusalSummary(problems: readonly TableProblem[]): string {
  return `replication refused: REPLICATED_TABLES names ${problems.length === 1 ? 'a table' : 'tables'} the engine cannot replicate as they are (${problems.length} problem${problems.length === 1 ? '' : 's'}, listed under Problems)`;
}

/**
 * Checks the tables until they fit: each verdict goes to onVerdict (empty: they fit, and this resolves true); while
 * there are problems the check runs again every REFUSED_RECHECK_INTERVAL_MS, so the migration that fixes them is
 * picked up without a restart. Resolves false when stopped. Never throws: a failed check is retried.
 */
export async function waitForFittingTables(props: {
  readonly connectionString: string;
  readonly tables: readonly string[];
  readonly isStopped: () => boolean;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onVerdict: (problems: readonly TableProblem[]) => void;
  readonly onCheckFailed: (error: string) => void;
}): Promise<boolean> {
  while (!props.isStopped()) {
    try {
      const problems = await liveTableProblems(props.connectionString, props.tables);
      props.onVerdict(problems);
      if (problems.length === 0) return true;
    } catch (error) {
      props.onCheckFailed(error instanceof Error ? error.message : String(error));
    }
    await props.sleep(REFUSED_RECHECK_INTERVAL_MS);
  }
  return false;
}
