/**
 * Which peers a node may exchange changes with while a rolling upgrade runs, decided from the two nodes' table
 * shapes (not from their schema-version hashes alone). Pure.
 *
 * A release that ADDS a column (a migration) leaves the nodes not upgraded yet without it for a while:
 * - a change from a node that lacks a column applies here with that column untouched (the change never wrote it:
 *   the receiver fills it with the column's default at the lowest stamp, NEVER_WRITTEN_HLC, so any real write wins);
 * - a change from a node that has a column this node lacks WAITS (nothing applied, the cursor stays) until this
 *   node's own migration adds it; the sync service notices the migration by itself and pulls again.
 * A column whose type differs, another primary key or another table list is incompatible: nothing is exchanged
 * until every node runs the same release.
 */
import { z } from 'zod';
import type { ReplicatedTable } from './tableSchema';

/** Stamp of a column no write ever set on this row (it was added by a migration after the row's last write). */
export const NEVER_WRITTEN_HLC = '0'.repeat(36);

/** Most tables and columns a peer may describe (far above any real schema; bounds the work of a comparison). */
const MAX_DESCRIBED_TABLES = 200;
const MAX_DESCRIBED_COLUMNS = 1600;

const nameSchema = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier');

/** A node's replicated tables as another node needs them to judge compatibility (sent when versions differ). */
export const schemaDescriptionSchema = z.object({
  tables: z
    .array(
      z.object({
        name: nameSchema,
        primaryKey: nameSchema,
        columns: z.array(z.object({ name: nameSchema, type: z.string().min(1).max(200) })).max(MAX_DESCRIBED_COLUMNS),
      }),
    )
    .max(MAX_DESCRIBED_TABLES),
});
export type SchemaDescription = z.infer<typeof schemaDescriptionSchema>;

export function describeSchema(tables: readonly ReplicatedTable[]): SchemaDescription {
  return {
    tables: tables.map((table) => ({
      name: table.name,
      primaryKey: table.primaryKey,
      columns: table.columns.map((column) => ({ name: column.name, type: column.type })),
    })),
  };
}

export type PeerSchemaVerdict =
  /** Same tables and columns (the hashes may still differ, e.g. in unique keys, which are local constraints). */
  | { readonly kind: 'same' }
  /** The peer lacks columns this node has (it is not upgraded yet): its changes apply, those columns untouched. */
  | { readonly kind: 'peer-behind'; readonly peerLacks: readonly string[] }
  /** The peer has columns this node lacks: its changes wait for this node's upgrade. */
  | {
      readonly kind: 'waiting-for-upgrade';
      readonly localLacks: readonly string[];
      readonly peerLacks: readonly string[];
    }
  | { readonly kind: 'incompatible'; readonly problems: readonly string[] };

export function comparePeerSchema(local: readonly ReplicatedTable[], peer: SchemaDescription): PeerSchemaVerdict {
  const problems: string[] = [];
  const localLacks: string[] = [];
  const peerLacks: string[] = [];
  const peerTables = new Map(peer.tables.map((table) => [table.name, table]));
  for (const table of local) {
    const theirs = peerTables.get(table.name);
    if (!theirs) {
      problems.push(`the peer does not replicate table ${table.name}`);
      continue;
    }
    if (theirs.primaryKey !== table.primaryKey) {
      problems.push(`table ${table.name}: primary key ${theirs.primaryKey} there, ${table.primaryKey} here`);
    }
    const theirColumns = new Map(theirs.columns.map((column) => [column.name, column.type]));
    for (const column of table.columns) {
      const type = theirColumns.get(column.name);
      if (type === undefined) peerLacks.push(`${table.name}.${column.name}`);
      else if (type !== column.type)
        problems.push(`table ${table.name}: column ${column.name} is ${type} there, ${column.type} here`);
    }
    const ours = new Set(table.columns.map((column) => column.name));
    for (const column of theirs.columns) if (!ours.has(column.name)) localLacks.push(`${table.name}.${column.name}`);
  }
  const localNames = new Set(local.map((table) => table.name));
  for (const table of peer.tables)
    if (!localNames.has(table.name)) problems.push(`the peer replicates table ${table.name}, this node does not`);
  if (problems.length > 0) return { kind: 'incompatible', problems };
  if (localLacks.length > 0) return { kind: 'waiting-for-upgrade', localLacks, peerLacks };
  if (peerLacks.length > 0) return { kind: 'peer-behind', peerLacks };
  return { kind: 'same' };
}

/**
 * The verdict on a peer's batch or snapshot: with the same schema version nothing is compared; a different version
 * needs the peer's description (a sync service older than rolling upgrades sends none: incompatible).
 */
export function judgePeerSchema(
  local: { readonly schemaVersion: string; readonly tables: readonly ReplicatedTable[] },
  peer: { readonly schemaVersion: string; readonly schema?: SchemaDescription | undefined },
): PeerSchemaVerdict {
  if (peer.schemaVersion === local.schemaVersion) return { kind: 'same' };
  if (!peer.schema) {
    return {
      kind: 'incompatible',
      problems: [
        `schema version ${peer.schemaVersion} of the peer differs from ${local.schemaVersion} here and the peer did not describe its tables (a sync service from before rolling upgrades): run the same release on every node`,
      ],
    };
  }
  return comparePeerSchema(local.tables, peer.schema);
}

/** The message a node shows while a peer's changes wait for its own upgrade. */
export function waitingMessage(
  peerId: string,
  verdict: Extract<PeerSchemaVerdict, { kind: 'waiting-for-upgrade' }>,
): string {
  return (
    `changes from ${peerId} wait for this node's upgrade: the peer has column(s) ${verdict.localLacks.join(', ')} that this node's ` +
    `tables lack. Upgrade this node (its migrations add them); replication from ${peerId} resumes by itself`
  );
}
