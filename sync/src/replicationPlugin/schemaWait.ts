/**
 * The app creates the replicated tables (its migrations run when it starts); the sync service may start first.
 * Replication waits for them, polling with backoff, and says what it waits for.
 */
import { Client } from 'pg';
import { type BackoffPolicy, backoffDelayMs } from '../core/backoff';

export const SCHEMA_WAIT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5_000, factor: 2, jitter: 0.2 };
/** One probe of the database gives up after this long (the next attempt follows the backoff). */
export const SCHEMA_PROBE_TIMEOUT_MS = 5_000;

export interface SchemaWaitReport {
  readonly attempt: number;
  /** Tables not there yet; empty when the database itself could not be reached (see `error`). */
  readonly missingTables: readonly string[];
  readonly error: string | null;
  readonly nextAttemptInMs: number;
}

/** Tables of schema public among `tables` that do not exist. */
export async function missingTables(connectionString: string, tables: readonly string[]): Promise<string[]> {
  const client = new Client({ connectionString, connectionTimeoutMillis: SCHEMA_PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const result = await client.query<{ name: string }>(
      `SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass(format('public.%I', name)) IS NULL ORDER BY name`,
      [tables],
    );
    return result.rows.map((row) => row.name);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Resolves once every table exists; resolves `false` when `isStopped()` turned true meanwhile. Never throws:
 * an unreachable database is one more reason to wait.
 */
export async function waitForTables(props: {
  readonly connectionString: string;
  readonly tables: readonly string[];
  readonly isStopped: () => boolean;
  readonly onWaiting: (report: SchemaWaitReport) => void;
  readonly random?: () => number;
  /** @default a timer; pass one that ends early on stop */
  readonly sleep?: (ms: number) => Promise<void>;
}): Promise<boolean> {
  for (let attempt = 1; !props.isStopped(); attempt++) {
    let missing: string[] = [];
    let error: string | null = null;
    try {
      missing = await missingTables(props.connectionString, props.tables);
      if (missing.length === 0) return true;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const nextAttemptInMs = backoffDelayMs(SCHEMA_WAIT_BACKOFF, attempt, props.random ?? Math.random);
    props.onWaiting({ attempt, missingTables: missing, error, nextAttemptInMs });
    await (props.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref())))(
      nextAttemptInMs,
    );
  }
  return false;
}
