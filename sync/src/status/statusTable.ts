/** Human-readable rendering of the status document for `service:status`. Pure. */
import { type Paint, paint } from '@msk/kit/cliConventions';
import { formatReplication, replicationProblems } from './replicationSection';
import type { PeerStatus, SyncStatus } from './statusModel';

function ago(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const ms = Math.max(0, nowMs - Date.parse(iso));
  if (ms < 1_000) return `${ms} ms ago`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s ago`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}

function skew(ms: number | null): string {
  if (ms === null) return '-';
  return `${ms > 0 ? '+' : ''}${ms} ms`;
}

function agreementCell(peer: PeerStatus): string {
  if (peer.agreement === null) return '-';
  return peer.agreement.ok ? 'agrees' : `differs: ${peer.agreement.differing.join(', ')}`;
}

function authCell(peer: PeerStatus): string {
  if (peer.authState === 'refused' && peer.refusalReason) return `refused (${peer.refusalReason})`;
  return peer.authState;
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function appBuildLine(status: SyncStatus): string {
  const { build, lastError, url } = status.appBuild;
  if (build) return `App build: ${build.short}${build.deploymentId ? ` (deployment ${build.deploymentId})` : ''}`;
  if (status.appBuild.reported === false) {
    return `App build: not reported by the app (${url} has no build endpoint), so the build-once check cannot run; not compared with peers`;
  }
  return `App build: unknown, not compared with peers (${lastError ?? `not asked yet: ${url}`})`;
}

function databaseLine(status: SyncStatus): string | undefined {
  const db = status.database;
  if (!db) return undefined;
  const mode =
    db.declared === 'shared'
      ? 'DATABASE_TOPOLOGY=shared, capture and replication off'
      : 'DATABASE_TOPOLOGY=per-node, replicated';
  if (db.detected === 'unknown')
    return `Database: not identified yet${db.lastError ? ` (${db.lastError})` : ''} (${mode})`;
  const fp = db.fingerprint ? `, identity ${db.fingerprint}` : '';
  // Peers that have not told their database yet (just connected, or an older version) are not compared.
  const untold = db.unknownPeers.length > 0 ? `; not told yet by ${db.unknownPeers.join(', ')}` : '';
  if (db.sharedWith.length > 0) return `Database: shared with ${db.sharedWith.join(', ')} (${mode}${fp}${untold})`;
  if (db.declared === 'shared') return `Database: shared, no connected peer on it yet (${mode}${fp}${untold})`;
  return `Database: its own (${mode}${fp}${untold})`;
}

/** The status for a person; `colour` only when stdout is a terminal (kit's cliConventions decide). */
export function formatStatus(status: SyncStatus, colour: Paint = paint(false)): string {
  const nowMs = Date.parse(status.generatedAt);
  const out: string[] = [];
  out.push(`Peers Connected: ${status.peersConnected}`);
  out.push(
    `Node: ${status.node.name} (${status.node.id}) at ${status.node.address}` +
      `, discovery ${status.discovery.mode}${status.service.tls ? ', TLS' : ''}, started ${ago(status.node.startedAt, nowMs)}` +
      `, ${status.ready.ok ? colour.green('ready') : colour.red('NOT READY')}`,
  );
  out.push(appBuildLine(status));
  const database = databaseLine(status);
  if (database) out.push(database);
  out.push('');
  if (status.peers.length === 0) {
    out.push(
      status.discovery.mode === 'static'
        ? 'No peers known: SYNC_PEERS is empty and no peer has contacted this node.'
        : `No peers discovered yet (discovery: ${status.discovery.mode}).`,
    );
  } else {
    out.push(
      renderTable(
        ['PEER', 'ID', 'ADDRESS', 'DISCOVERED VIA', 'AUTH', 'LAST SEEN', 'CLOCK SKEW', 'CONFIG'],
        status.peers.map((p) => [
          p.name ?? '?',
          p.id ?? '?',
          p.address,
          p.discoveredVia.join(',') || '-',
          authCell(p),
          ago(p.lastSeenAt, nowMs),
          skew(p.clockSkewMs),
          agreementCell(p),
        ]),
      ),
    );
  }
  const problems = status.peers.filter((p) => p.authState !== 'authenticated' && p.lastError);
  const databaseProblem = status.database?.problem ?? null;
  const tableProblems = replicationProblems(status);
  if (problems.length > 0 || status.refused.length > 0 || databaseProblem || tableProblems.length > 0) {
    out.push('');
    out.push('Problems:');
    if (databaseProblem)
      out.push(
        `  database topology${status.database?.thisNodeRefused ? ' (this node is refused: its readiness fails)' : ''}: ${databaseProblem}`,
      );
    for (const line of tableProblems) out.push(`  ${line}`);
    const seen = new Set<string>();
    for (const r of status.refused) {
      const who = r.name ? `${r.name} at ${r.address}` : r.address;
      const side = r.side === 'refused-by-peer' ? 'refused this node' : 'refused by this node';
      const line = `  ${who}: ${r.summary} (${side}): ${r.message}`;
      seen.add(r.address);
      out.push(line);
    }
    for (const p of problems) {
      if (seen.has(p.address)) continue;
      out.push(`  ${p.name ? `${p.name} at ${p.address}` : p.address}: ${p.authState}: ${p.lastError}`);
    }
  }
  if (status.discovery.ignored.length > 0) {
    out.push('');
    out.push('Ignored announcements:');
    for (const i of status.discovery.ignored) out.push(`  ${i.name ?? '?'} at ${i.address}: ${i.reason}`);
  }
  if (status.discovery.lastError) {
    out.push('');
    out.push(`Discovery error: ${status.discovery.lastError}`);
  }
  out.push('');
  if (status.agreement.ok) {
    out.push(`Configuration: agrees with all ${status.peersConnected} connected peer(s).`);
  } else {
    out.push(
      `Configuration: ${colour.red('DISAGREES')}${status.agreement.oddOneOut ? ' (this node is the odd one out: its readiness fails)' : ''}`,
    );
    for (const m of status.agreement.mismatches) {
      out.push(
        `  ${m.variable} differs on ${m.peers.map((p) => `${p.name} (${p.address})`).join(', ')}${m.detail ? `: ${m.detail}` : ''}`,
      );
    }
  }
  out.push(...formatReplication(status, renderTable));
  if (status.identity.conflict) {
    out.push(`Identity: ${status.identity.conflict.message}`);
  }
  if (!status.ready.ok) {
    out.push(`${colour.red('Not ready:')} ${status.ready.reasons.join('; ')}`);
  }
  for (const warning of status.warnings) out.push(`Warning: ${warning}`);
  return out.join('\n');
}
