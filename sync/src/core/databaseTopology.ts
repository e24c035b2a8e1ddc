/**
 * Which database topology the cluster really has, from the databases' own identities (PostgreSQL's
 * `system_identifier` and the database's OID), not from the text of anyone's DATABASE_URL: two URLs may name one
 * database (a service name and an IP) and one URL may name two (localhost on each server).
 *
 * Each sync service reads its database's identity and tells its peers only a keyed fingerprint of it (HMAC with
 * the cluster's fingerprint key, like the shared variables): members can compare, nobody else learns anything.
 * Pure: no I/O.
 *
 * The decision, for this node, over itself and every connected peer whose database is known:
 * - everyone on one database: detected `shared`; fine when DATABASE_TOPOLOGY=shared, refused when per-node (two
 *   sync services would replicate one database into itself).
 * - everyone on a database of their own: detected `per-node`; fine when per-node, refused when shared.
 * - anything else (some share, some do not): `mixed`, always refused, naming who shares with whom.
 * Who fails readiness over a refusal: with `shared` declared, the nodes outside the biggest group (between equal
 * groups, the one holding the earliest-started node wins); with `per-node`, every node that shares its database.
 */
import { z } from 'zod';
import type { DatabaseTopology } from '@msk/contract';
import { type ClusterKeys, macHex } from './clusterKeys';
import { groupBeats } from './groupRank';

/** What identifies a PostgreSQL database: its cluster's system identifier and its OID in that cluster. */
export interface DatabaseIdentity {
  /** pg_control_system().system_identifier, as decimal text (a 64-bit number). */
  readonly systemIdentifier: string;
  /** pg_database.oid of current_database(), as decimal text. */
  readonly databaseOid: string;
}

export const databaseIdentitySchema = z.strictObject({
  systemIdentifier: z.string().regex(/^[0-9]{1,20}$/, 'must be a decimal number'),
  databaseOid: z.string().regex(/^[0-9]{1,10}$/, 'must be a decimal number'),
});

export const databaseFingerprintSchema = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters');

/** What peers exchange (POST /sync/v1/database): the sender's fingerprint, null while it has not read it. */
export const databaseMessageSchema = z.strictObject({
  database: databaseFingerprintSchema.nullable(),
});

/** A physical standby promoted by a failover keeps the system identifier, so the fingerprint survives failovers. */
export function databaseFingerprint(identity: DatabaseIdentity, keys: ClusterKeys): string {
  return macHex(keys['config-fingerprint'], [
    'database identity',
    identity.systemIdentifier,
    identity.databaseOid,
  ]).slice(0, 32);
}

export interface TopologyNode {
  readonly id: string;
  readonly name: string;
  readonly startedAt: number;
  /** Fingerprint of its database; null while unknown (not compared then). */
  readonly database: string | null;
}

export type DetectedTopology = 'shared' | 'per-node' | 'mixed' | 'unknown';

export interface TopologyDecision {
  readonly declared: DatabaseTopology;
  /** unknown: this node has not read its own database's identity yet. */
  readonly detected: DetectedTopology;
  /** Names of the connected peers on this node's database, sorted. */
  readonly sharedWith: readonly string[];
  /** Names of the connected peers whose database is not known yet. */
  readonly unknownPeers: readonly string[];
  /** Why the cluster's topology is refused, naming the nodes; null when it is what was declared. */
  readonly problem: string | null;
  /** Whether this node is one that must change (its readiness fails). */
  readonly thisNodeRefused: boolean;
}

const byName = (a: TopologyNode, b: TopologyNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const names = (nodes: readonly TopologyNode[]) => nodes.map((n) => n.name).sort();
const list = (items: readonly string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;

function describeGroups(groups: readonly (readonly TopologyNode[])[]): string {
  return groups
    .map((group) => [...group].sort(byName))
    .sort((a, b) => b.length - a.length || byName(a[0] as TopologyNode, b[0] as TopologyNode))
    .map((group) =>
      group.length > 1 ? `${list(names(group))} share one database` : `${(group[0] as TopologyNode).name} has its own`,
    )
    .join('; ');
}

export function decideTopology(input: {
  readonly declared: DatabaseTopology;
  readonly self: TopologyNode;
  readonly peers: readonly TopologyNode[];
}): TopologyDecision {
  const { declared, self } = input;
  const unknownPeers = names(input.peers.filter((p) => p.database === null));
  if (self.database === null) {
    return { declared, detected: 'unknown', sharedWith: [], unknownPeers, problem: null, thisNodeRefused: false };
  }
  const known = [self, ...input.peers.filter((p) => p.database !== null)];
  const groups = new Map<string, TopologyNode[]>();
  for (const node of known) groups.set(node.database as string, [...(groups.get(node.database as string) ?? []), node]);
  const mine = groups.get(self.database) as TopologyNode[];
  const sharedWith = names(mine.filter((n) => n !== self));
  const all = [...groups.values()];
  const detected: DetectedTopology =
    known.length === 1
      ? declared
      : all.length === 1
        ? 'shared'
        : all.every((g) => g.length === 1)
          ? 'per-node'
          : 'mixed';
  const base = { declared, detected, sharedWith, unknownPeers };
  if (detected === declared) return { ...base, problem: null, thisNodeRefused: false };

  const fix =
    declared === 'shared'
      ? 'point DATABASE_URL and SYNC_DATABASE_URL of the refused node(s) at the shared database'
      : 'give every node its own database, or set DATABASE_TOPOLOGY=shared on every node (npm run init -- --database shared)';
  let refused: TopologyNode[];
  if (declared === 'shared') {
    const winner = all.reduce((best, group) => (groupBeats(group, best) ? group : best));
    refused = known.filter((n) => !winner.includes(n));
  } else {
    refused = all.filter((g) => g.length > 1).flat();
  }
  const refusedNames = names(refused);
  const what =
    detected === 'shared'
      ? `${list(names(known))} share one database but DATABASE_TOPOLOGY is per-node (two sync services would replicate one database into itself)`
      : detected === 'per-node'
        ? `DATABASE_TOPOLOGY is shared but ${list(names(known))} each have their own database`
        : `a cluster's nodes must all share one database or each have their own, but ${describeGroups(all)}`;
  return {
    ...base,
    problem: `${what}; refused: ${list(refusedNames)}. Fix: ${fix}`,
    thisNodeRefused: refused.includes(self),
  };
}
