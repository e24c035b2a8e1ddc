/**
 * Replication protocol messages and their validation (zod). Everything a peer sends is parsed here before it
 * touches state; a message that fails is refused as a whole and reported, never half-applied. Pure.
 *
 * Flow: the puller sends a PullRequest with its cursor on the source; the source answers with a ChangeBatch
 * (row states after the cursor, the next cursor), or ReloadRequired (the cursor is behind the purge horizon), or
 * SchemaMismatch. A new or wiped node asks for a Snapshot (every row state + the cursor taken before it).
 */
import { z } from 'zod';
import { HLC_PATTERN, NODE_ID_PATTERN, checkRemoteHlc, MAX_FUTURE_DRIFT_MS } from './hlc';
import type { Hlc } from './hlc';
import type { RowState } from './rowState';
import { expandVersions } from './rowState';
import type { ReplicatedTable } from './tableSchema';
import { columnNames } from './tableSchema';
import { NEVER_WRITTEN_HLC, schemaDescriptionSchema } from './schemaCompatibility';

export const PROTOCOL_VERSION = 1 as const;
/** Most row states in one batch (the puller may ask for fewer). */
export const MAX_BATCH_CHANGES = 10_000;
/** Most row states in one snapshot message. */
export const MAX_SNAPSHOT_CHANGES = 5_000_000;
/** Longest column value accepted from a peer (characters). */
export const MAX_VALUE_LENGTH = 1_048_576;

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,19})$/;

const hlcSchema = z.string().regex(HLC_PATTERN, 'must be an HLC: 36 lowercase hex characters');
const nodeIdSchema = z.string().regex(NODE_ID_PATTERN, 'must be a node id: 16 lowercase hex characters');
const identifierSchema = z.string().regex(IDENTIFIER_PATTERN, 'must be a lowercase SQL identifier');
const schemaVersionSchema = z.string().min(1).max(64);
/** A database's incarnation: 32 lowercase hex characters, made when its change log is created and made anew when
 * the database is restored from a backup (or replaced). */
export const INCARNATION_PATTERN = /^[0-9a-f]{32}$/;
const incarnationSchema = z.string().regex(INCARNATION_PATTERN, 'must be an incarnation: 32 lowercase hex characters');
/** A column name as a record key: validateChanges then refuses every name that is not a column of the table (a
 * regex per key here cost three quarters of the parse: 43 → 12 ms per 5,000 changes, measured). */
const MAX_COLUMN_NAME_LENGTH = 63;
const columnKeySchema = z.string().min(1).max(MAX_COLUMN_NAME_LENGTH);

/** A row's values: column names (1-63 characters; validateChanges checks them against the table) to text or null.
 * Checked by a loop: as a z.record it was half the parse of a batch (15 → 7 ms per 5,000 changes, measured). */
function isColumnValues(value: unknown): value is Record<string, string | null> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const [key, text] of Object.entries(value)) {
    if (key.length === 0 || key.length > MAX_COLUMN_NAME_LENGTH) return false;
    if (text !== null && (typeof text !== 'string' || text.length > MAX_VALUE_LENGTH)) return false;
  }
  return true;
}

/**
 * Position in a source's change log: the (transaction id, sequence) of the last row state delivered. The source
 * only serves rows of transactions below its xid fence, in (xid, seq) order, so nothing can appear behind it.
 * Both parts are decimal strings (PostgreSQL xid8 and bigint exceed JavaScript's safe integers).
 */
export const cursorSchema = z.object({
  xid: z.string().regex(DECIMAL_PATTERN, 'must be a decimal transaction id'),
  seq: z.string().regex(DECIMAL_PATTERN, 'must be a decimal sequence number'),
});
export type Cursor = z.infer<typeof cursorSchema>;

/** Every message: its type and the protocol version, then its own fields. */
function messageSchema<Type extends string, Shape extends z.ZodRawShape>(type: Type, shape: Shape) {
  return z.object({ type: z.literal(type), protocolVersion: z.literal(PROTOCOL_VERSION), ...shape });
}

export const rowChangeSchema = z.object({
  table: identifierSchema,
  pk: z.string().regex(UUID_PATTERN, 'must be a lowercase uuid'),
  /** Node whose write produced exactly this state (the source never sends a state back to its origin). */
  origin: nodeIdSchema,
  /** Base stamp of every column ... */
  hlc: hlcSchema,
  /** ... except these. */
  columnHlcs: z.record(columnKeySchema, hlcSchema).optional(),
  values: z.custom<Record<string, string | null>>(
    isColumnValues,
    'must map column names (1-63 characters) to text (at most 1 MiB) or null',
  ),
  deletedHlc: hlcSchema.nullable(),
});
export type RowChange = z.infer<typeof rowChangeSchema>;

export const pullRequestSchema = messageSchema('pull', {
  schemaVersion: schemaVersionSchema,
  requesterNodeId: nodeIdSchema,
  /** null: from the beginning. */
  cursor: cursorSchema.nullable(),
  limit: z.number().int().min(1).max(MAX_BATCH_CHANGES),
  /** What the puller has applied and stored, if behind `cursor` (it asks for the next batch while applying the
   * previous one). The source keeps this as the puller's acknowledgement (purge waits for it). */
  acknowledged: cursorSchema.nullable().optional(),
  /** With a null cursor: send nothing, just the source's current head cursor (a node that loaded a snapshot
   * from another peer starts here; what it missed reaches it through that peer). */
  startAtHead: z.boolean().optional(),
});
export type PullRequest = z.infer<typeof pullRequestSchema>;

export const changeBatchSchema = messageSchema('batch', {
  schemaVersion: schemaVersionSchema,
  sourceNodeId: nodeIdSchema,
  changes: z.array(rowChangeSchema).max(MAX_BATCH_CHANGES),
  /** Where the next pull continues (also the acknowledgement the puller stores with the applied batch). */
  nextCursor: cursorSchema,
  /** More states are ready below the source's fence: pull again at once. */
  hasMore: z.boolean(),
  /** Row states after nextCursor at the source when it answered (lag in changes). */
  remainingChanges: z.number().int().min(0),
  /** The source database's incarnation: cursors belong to one incarnation. A puller whose cursor was made by
   * another one (the source was restored from a backup, or replaced) starts over instead of applying. Optional:
   * sources of earlier releases do not send it. */
  sourceIncarnation: incarnationSchema.optional(),
  /** The source's tables, when the requester's schema version differs (a rolling upgrade: schemaCompatibility.ts). */
  schema: schemaDescriptionSchema.optional(),
});
export type ChangeBatch = z.infer<typeof changeBatchSchema>;

export const reloadRequiredSchema = messageSchema('reload-required', {
  sourceNodeId: nodeIdSchema,
  /** The source purged states up to here; a cursor below it may have missed deletes. */
  purgedUpTo: cursorSchema,
  message: z.string().max(1000),
});
export type ReloadRequired = z.infer<typeof reloadRequiredSchema>;

export const schemaMismatchSchema = messageSchema('schema-mismatch', {
  sourceNodeId: nodeIdSchema,
  sourceSchemaVersion: schemaVersionSchema,
  requesterSchemaVersion: schemaVersionSchema,
  message: z.string().max(1000),
});
export type SchemaMismatch = z.infer<typeof schemaMismatchSchema>;

export const pullResponseSchema = z.discriminatedUnion('type', [
  changeBatchSchema,
  reloadRequiredSchema,
  schemaMismatchSchema,
]);
export type PullResponse = z.infer<typeof pullResponseSchema>;

/** Most changes a source pushes along with its poke; more wait for the peer's pull. */
export const MAX_PUSH_CHANGES = 100;
/** Largest push (JSON bytes): a few big values make the peer pull instead. */
export const MAX_PUSH_BYTES = 256 * 1024;

/**
 * A poke that carries the changes themselves (few of them): the source read them for this peer from where the
 * peer's last pull or push left it. The peer applies the batch only if its cursor on the source is `fromCursor`;
 * otherwise — or while it is pulling anyway — it treats the push as a plain poke and pulls.
 */
export const pushSchema = messageSchema('push', {
  fromCursor: cursorSchema.nullable(),
  batch: changeBatchSchema.extend({ changes: z.array(rowChangeSchema).max(MAX_PUSH_CHANGES) }),
});
export type Push = z.infer<typeof pushSchema>;

export const snapshotRequestSchema = messageSchema('snapshot-request', {
  schemaVersion: schemaVersionSchema,
  requesterNodeId: nodeIdSchema,
});
export type SnapshotRequest = z.infer<typeof snapshotRequestSchema>;

export const snapshotSchema = messageSchema('snapshot', {
  schemaVersion: schemaVersionSchema,
  sourceNodeId: nodeIdSchema,
  /** Taken BEFORE the snapshot's rows were read: continuing from it may repeat states (harmless), never miss one. */
  cursor: cursorSchema,
  changes: z.array(rowChangeSchema).max(MAX_SNAPSHOT_CHANGES),
  /** The incarnation `cursor` belongs to (see changeBatchSchema). */
  sourceIncarnation: incarnationSchema.optional(),
  /** As in a batch: the source's tables when the requester's schema version differs. */
  schema: schemaDescriptionSchema.optional(),
});
export type Snapshot = z.infer<typeof snapshotSchema>;

export const snapshotResponseSchema = z.discriminatedUnion('type', [snapshotSchema, schemaMismatchSchema]);
export type SnapshotResponse = z.infer<typeof snapshotResponseSchema>;

export function sameCursor(a: Cursor | null, b: Cursor | null): boolean {
  return compareCursors(a, b) === 0;
}

export function compareCursors(a: Cursor | null, b: Cursor | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  const xa = BigInt(a.xid);
  const xb = BigInt(b.xid);
  if (xa !== xb) return xa < xb ? -1 : 1;
  const sa = BigInt(a.seq);
  const sb = BigInt(b.seq);
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

export interface ValidChange {
  readonly table: string;
  readonly pk: string;
  readonly origin: string;
  readonly state: RowState;
}

export type BatchValidation =
  | { readonly ok: true; readonly changes: readonly ValidChange[] }
  | { readonly ok: false; readonly problems: readonly string[] };

export interface ChangeValidationContext {
  readonly tables: ReadonlyMap<string, ReplicatedTable>;
  readonly nowMs: number;
  /** @default MAX_FUTURE_DRIFT_MS */
  readonly maxFutureDriftMs?: number;
  /**
   * Columns ("table.column") the peer does not have yet (it is not upgraded): a change without them is complete,
   * and they are filled with the column's default at NEVER_WRITTEN_HLC, so the change leaves them untouched here.
   */
  readonly peerLacks?: ReadonlySet<string>;
}

/** Most problems listed when a batch is refused (the rest are counted). */
const MAX_PROBLEMS_LISTED = 10;

/**
 * Checks row states against the local tables and clock: known table, exactly the table's columns, primary key
 * value equal to the row's pk, every stamp well-formed and not too far in the future. One bad state refuses the
 * whole batch (returned problems say which and why).
 */
export function validateChanges(changes: readonly RowChange[], context: ChangeValidationContext): BatchValidation {
  const problems: string[] = [];
  let problemCount = 0;
  const report = (problem: string) => {
    problemCount += 1;
    if (problems.length < MAX_PROBLEMS_LISTED) problems.push(problem);
  };
  const valid: ValidChange[] = [];
  const maxFutureDriftMs = context.maxFutureDriftMs ?? MAX_FUTURE_DRIFT_MS;
  // per table, once per batch: its column names as a list and a set
  const columnsOf = new Map<
    ReplicatedTable,
    { list: string[]; set: Set<string>; absent: ReplicatedTable['columns'] }
  >();
  changes.forEach((change, index) => {
    const where = () => `change ${index} (${change.table} ${change.pk})`;
    const table = context.tables.get(change.table);
    if (!table) {
      report(`${where()}: table "${change.table}" is not replicated on this node`);
      return;
    }
    let columns = columnsOf.get(table);
    if (!columns) {
      const list = columnNames(table);
      const absent = table.columns.filter((column) => context.peerLacks?.has(`${table.name}.${column.name}`));
      columnsOf.set(table, (columns = { list, set: new Set(list), absent }));
    }
    let values = change.values;
    let columnHlcs = change.columnHlcs;
    if (columns.absent.length > 0) {
      values = { ...values };
      columnHlcs = { ...columnHlcs };
      for (const column of columns.absent) {
        if (column.name in change.values) continue; // the peer sent it after all: taken as sent
        values[column.name] = column.defaultText ?? null;
        columnHlcs[column.name] = NEVER_WRITTEN_HLC;
      }
    }
    const missing = columns.list.filter((column) => !(column in values));
    const unknown = Object.keys(change.values).filter((column) => !columns.set.has(column));
    const unknownStamped = change.columnHlcs
      ? Object.keys(change.columnHlcs).filter((column) => !columns.set.has(column))
      : [];
    if (missing.length > 0) report(`${where()}: missing columns ${missing.join(', ')}`);
    if (unknown.length > 0 || unknownStamped.length > 0) {
      report(`${where()}: unknown columns ${[...new Set([...unknown, ...unknownStamped])].join(', ')}`);
    }
    if (change.values[table.primaryKey] !== change.pk) {
      report(`${where()}: column ${table.primaryKey} must equal the row's pk`);
    }
    const stamps: Hlc[] = change.columnHlcs ? [change.hlc, ...Object.values(change.columnHlcs)] : [change.hlc];
    // (NEVER_WRITTEN_HLC stamps filled in above are not the peer's: not checked)
    if (change.deletedHlc) stamps.push(change.deletedHlc);
    for (const stamp of stamps) {
      const check = checkRemoteHlc(stamp, context.nowMs, maxFutureDriftMs);
      if (!check.ok) {
        report(`${where()}: ${check.message}`);
        break;
      }
    }
    if (missing.length === 0 && unknown.length === 0 && unknownStamped.length === 0) {
      valid.push({
        table: change.table,
        pk: change.pk,
        origin: change.origin,
        state: {
          versions: expandVersions(columns.list, { hlc: change.hlc, columnHlcs }),
          values,
          deletedHlc: change.deletedHlc,
        },
      });
    }
  });
  if (problemCount > 0) {
    if (problemCount > problems.length) problems.push(`... and ${problemCount - problems.length} more problems`);
    return { ok: false, problems };
  }
  return { ok: true, changes: valid };
}
