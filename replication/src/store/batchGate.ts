/**
 * The gate every store puts a peer's batch or snapshot through before merging it: the peer id and the cursor are
 * well formed, the peer's schema can sync with ours (peerSchemaGate.ts), and every change is valid against our
 * tables and clock (validateChanges). A refused batch is recorded against the peer by the store; a batch waiting
 * for this node's upgrade is not an error of the peer's.
 */
import { NODE_ID_PATTERN } from '../core/hlc';
import type { ChangeBatch, Cursor, RowChange, ValidChange } from '../core/protocol';
import { cursorSchema, validateChanges } from '../core/protocol';
import type { ReplicatedTable } from '../core/tableSchema';
import { peerSchemaGate } from './peerSchemaGate';

export interface BatchGateLocal {
  readonly schemaVersion: string;
  readonly tables: readonly ReplicatedTable[];
  readonly tableByName: ReadonlyMap<string, ReplicatedTable>;
  readonly nowMs: number;
  readonly maxFutureDriftMs?: number | undefined;
}

export interface PeerBatch {
  readonly fromPeer: string;
  /** The schema the peer declared with the batch or snapshot. */
  readonly peerSchema: Pick<ChangeBatch, 'schemaVersion' | 'schema'>;
  readonly changes: readonly RowChange[];
  /** Where our cursor on the peer goes once the batch is applied. */
  readonly cursor: Cursor;
}

export type BatchGateVerdict =
  | { readonly pass: true; readonly changes: readonly ValidChange[] }
  /** `refused`: record the problems against the peer (not for a malformed peer id nor a batch that waits for us). */
  | {
      readonly pass: false;
      readonly problems: readonly string[];
      readonly refused: boolean;
      readonly waitingForUpgrade?: true;
    };

export function gateBatch(local: BatchGateLocal, batch: PeerBatch): BatchGateVerdict {
  const { fromPeer } = batch;
  if (!NODE_ID_PATTERN.test(fromPeer))
    return { pass: false, refused: false, problems: [`peer id "${fromPeer}" is not a node id`] };
  if (!cursorSchema.safeParse(batch.cursor).success)
    return { pass: false, refused: true, problems: [`cursor ${JSON.stringify(batch.cursor)} is not a cursor`] };
  const gate = peerSchemaGate(local, fromPeer, batch.peerSchema);
  if (!gate.pass) {
    if (gate.waitingForUpgrade)
      return { pass: false, refused: false, problems: gate.problems, waitingForUpgrade: true };
    return { pass: false, refused: true, problems: gate.problems };
  }
  const validation = validateChanges(batch.changes, {
    tables: local.tableByName,
    nowMs: local.nowMs,
    maxFutureDriftMs: local.maxFutureDriftMs,
    peerLacks: gate.peerLacks,
  });
  if (!validation.ok) return { pass: false, refused: true, problems: validation.problems };
  return { pass: true, changes: validation.changes };
}
