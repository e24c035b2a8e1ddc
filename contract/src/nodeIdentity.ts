/**
 * Node identity derived from a stable position instead of generated at random: used where a node is a replica
 * with an ordinal (a Kubernetes StatefulSet pod) and nothing can be written once and kept, like `init` does.
 * The same seed and ordinal always give the same SYNC_NODE_ID, so an ID survives restarts and rescheduling;
 * a different ordinal or seed (release) gives a different one.
 */
import { createHash } from 'node:crypto';

export const NODE_ID_HEX_LENGTH = 16;
/** The node-ID rule, written only here: SYNC_NODE_ID and every node ID a peer sends, signs, stamps or stores. */
export const NODE_ID_RULE = `${NODE_ID_HEX_LENGTH} lowercase hex characters`;
/** The rule as a pattern; its `.source` is also a PostgreSQL regular expression (the schema's CHECKs use it). */
export const NODE_ID_PATTERN = new RegExp(`^[0-9a-f]{${NODE_ID_HEX_LENGTH}}$`);

/** SYNC_NODE_ID for replica `ordinal` of the installation named by `seed`: the first 16 hex of sha256(`seed/ordinal`). */
export function deriveNodeId(seed: string, ordinal: number): string {
  if (seed === '') throw new Error("deriveNodeId needs a non-empty seed (the installation's name)");
  if (!Number.isSafeInteger(ordinal) || ordinal < 0) {
    throw new Error(`deriveNodeId needs a whole number >= 0 as the ordinal, got ${String(ordinal)}`);
  }
  return createHash('sha256').update(`${seed}/${ordinal}`).digest('hex').slice(0, NODE_ID_HEX_LENGTH);
}
