/**
 * The replication part of `service:status` (fields contributed by the replication plugin under `replication`,
 * node-level and per peer, typed by the plugin: replicationPlugin/replicationStatus.ts). Pure; reads the fields
 * defensively, since the document comes as JSON from a node that may run another release.
 */
import type {
  Received,
  ReplicationNodeStatus,
  ReplicationOffStatus,
  ReplicationPeerStatus,
} from '../replicationPlugin/replicationStatus';
import type { InitialLoadStatus } from '../replicationPlugin/initialLoadStatus';
import type { SyncStatus } from './statusModel';

/** The plugin's documents as read back from JSON (a node of another release may answer: every field may be missing). */
/** Either plugin's document (both contribute `replication`): the running one's fields, or `off` and its reason. */
type ReplicationNode = Received<
  Omit<ReplicationNodeStatus, 'state'> &
    Partial<Omit<ReplicationOffStatus, 'state'>> & {
      readonly state: ReplicationNodeStatus['state'] | ReplicationOffStatus['state'];
    }
>;
type ReplicationPeer = Received<ReplicationPeerStatus>;

const text = (value: number | null | undefined, unit = ''): string =>
  typeof value === 'number' ? `${value}${unit}` : '-';

/** The start-up check's problems with the replicated tables, one line each with its fix (for the Problems section). */
export function replicationProblems(status: SyncStatus): string[] {
  const node = status.replication as ReplicationNode | undefined;
  const problems =
    node && typeof node === 'object' && Array.isArray(node.refused?.problems) ? node.refused.problems : [];
  return problems.map((p) => `replication refused: ${p.message ?? '?'}. Fix: ${p.fix ?? '?'}`);
}

/** The initial load while it is due, runs or is caught up after a restart; undefined when there is none. */
export function initialLoadLine(load: Received<InitialLoadStatus> | null | undefined): string | undefined {
  if (!load || typeof load !== 'object' || typeof load.phase !== 'string' || load.phase === 'none') return undefined;
  const source = load.source ? `${load.source.name ?? '?'} (${load.source.id ?? '?'})` : 'a peer';
  const effect = load.loading
    ? 'this node holds part of the data: the app answers /api/ready with 503 until it is done'
    : load.heldData === true && typeof load.refusal === 'string'
      ? `the app stays ready with the rows this node held (the load was refused: ${load.refusal})`
      : 'the app stays ready';
  const rows = `${load.rowsApplied ?? 0} row(s) applied in ${load.pages ?? 0} page(s)`;
  switch (load.phase) {
    case 'due':
      return `initial load: due, from the first connected peer (${load.connectedPeers ?? 0} connected); ${effect}`;
    case 'loading':
      return `initial load: loading from ${source}, ${rows} since ${load.startedAt ?? '?'}; ${effect}`;
    case 'catching-up':
      return (
        `initial load: cut short by a restart, catching up from ${source} by pulls until past fence ` +
        `${load.fence ?? '?'}${load.loading ? '' : ' (that peer is not connected)'}; ${effect}`
      );
    case 'reloading':
      return `reload: loading a snapshot from ${source} (reload required), ${rows}; ${effect} (its data is complete, if stale)`;
    default:
      return `initial load: ${String(load.phase)}`;
  }
}

export function formatReplication(
  status: SyncStatus,
  renderTable: (header: readonly string[], rows: readonly (readonly string[])[]) => string,
): string[] {
  const node = status.replication as ReplicationNode | undefined;
  if (!node || typeof node !== 'object') return [];
  const out: string[] = [''];
  if (node.state === 'off') {
    out.push('Replication: off (the nodes share one database)');
    if (node.lastError) out.push(`  error: ${node.lastError}`);
    return out;
  }
  let line = `Replication: ${node.state ?? '?'}`;
  if (node.state === 'waiting-for-schema' && node.waitingFor) {
    line += node.waitingFor.error
      ? ` (database: ${node.waitingFor.error})`
      : ` (tables not created yet: ${(node.waitingFor.missingTables ?? []).join(', ')})`;
  }
  if (node.state === 'refused')
    line += ` (the replicated tables do not fit: ${node.refused?.problems?.length ?? 0} problem(s) under Problems)`;
  line += `, conflicts resolved: ${node.conflicts?.resolved ?? 0}`;
  out.push(line);
  if (node.lastError) out.push(`  error: ${node.lastError}`);
  const load = initialLoadLine(node.initialLoad);
  if (load) out.push(`  ${load}`);
  if (node.schemaVersion) {
    const reopened = node.schema?.reopenedAfterMigration ?? 0;
    out.push(
      `  schema ${node.schemaVersion}${reopened > 0 ? ` (followed ${reopened} migration(s) while running)` : ''}`,
    );
  }
  if (node.schema?.problem) out.push(`  schema problem: ${node.schema.problem}`);
  const rows = status.peers
    .map((peer) => ({ peer, replication: peer.replication as ReplicationPeer | undefined }))
    .filter((row) => row.replication && typeof row.replication === 'object');
  if (rows.length > 0) {
    out.push(
      renderTable(
        ['PEER', 'LAG (CHANGES)', 'LAG (MS)', 'LAST BATCH', 'CONFLICTS', 'ERRORS'],
        rows.map(({ peer, replication: r }) => [
          peer.name ?? peer.id ?? '?',
          text(r?.lag?.changes),
          text(r?.lag?.ms),
          r?.lastBatch
            ? `${r.lastBatch.kind ?? '?'} ${r.lastBatch.received ?? 0} received, ${r.lastBatch.applied ?? 0} applied at ${r.lastBatch.at ?? '?'}`
            : 'none yet',
          text(r?.conflictsResolved),
          text(r?.errors),
        ]),
      ),
    );
    for (const { peer, replication: r } of rows) {
      if (r?.waitingForUpgrade) out.push(`  ${peer.name ?? peer.id ?? '?'}: ${r.waitingForUpgrade}`);
      else if (r?.failing && r.lastError) out.push(`  ${peer.name ?? peer.id ?? '?'}: last error: ${r.lastError}`);
    }
  }
  for (const conflict of node.conflicts?.recent ?? []) {
    out.push(
      `  conflict: ${conflict.table ?? '?'}.${conflict.renamedColumn ?? '?'} of ${conflict.loserPk ?? '?'} renamed (kept by ${conflict.winnerPk ?? '?'})`,
    );
  }
  return out;
}
