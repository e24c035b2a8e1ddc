/**
 * The schema check both stores run before validating a peer's batch or snapshot (see schemaCompatibility.ts):
 * what the peer lacks is filled in, what this node lacks makes the batch wait, anything else refuses it.
 */
import type { SchemaDescription } from '../core/schemaCompatibility';
import { judgePeerSchema, waitingMessage } from '../core/schemaCompatibility';
import type { ReplicatedTable } from '../core/tableSchema';

export type SchemaGate =
  | { readonly pass: true; readonly peerLacks: ReadonlySet<string> }
  | { readonly pass: false; readonly waitingForUpgrade: boolean; readonly problems: readonly string[] };

export function peerSchemaGate(
  local: { readonly schemaVersion: string; readonly tables: readonly ReplicatedTable[] },
  fromPeer: string,
  peer: { readonly schemaVersion: string; readonly schema?: SchemaDescription | undefined },
): SchemaGate {
  const verdict = judgePeerSchema(local, peer);
  switch (verdict.kind) {
    case 'same':
      return { pass: true, peerLacks: new Set() };
    case 'peer-behind':
      return { pass: true, peerLacks: new Set(verdict.peerLacks) };
    case 'waiting-for-upgrade':
      return { pass: false, waitingForUpgrade: true, problems: [waitingMessage(fromPeer, verdict)] };
    case 'incompatible':
      return {
        pass: false,
        waitingForUpgrade: false,
        problems: [
          `the schema of peer ${fromPeer} (version ${peer.schemaVersion}) can't sync with this node's (${local.schemaVersion}): ` +
            `${verdict.problems.join('; ')}. Only added (or removed) columns sync across versions: run the same release on every node`,
        ],
      };
  }
}
