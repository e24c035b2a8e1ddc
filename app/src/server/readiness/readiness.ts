/**
 * Whether this node should receive traffic, from the outcome of each check. Pure: the route handler gathers
 * the facts, this decides the status code and the body.
 */
import type { SyncInitialLoad, SyncStatus } from './syncStatusClient';

/** How the sync service names the app build among the variables it compares (sync/src/core/appBuild.ts). */
export const APP_BUILD_VARIABLE = 'APP_BUILD';

export type CheckState = 'ok' | 'failed';

export interface ReadinessFacts {
  readonly node: { readonly id: string; readonly name: string };
  /** Undefined when the database answered; otherwise why not. */
  readonly databaseError: string | undefined;
  /** Migration files not applied yet, or why that could not be told. */
  readonly pendingMigrations: readonly string[] | { readonly error: string };
  readonly sync: SyncStatus;
}

export interface ReadinessReport {
  readonly httpStatus: 200 | 503;
  readonly body: {
    readonly status: 'ready' | 'not_ready';
    readonly node: { readonly id: string; readonly name: string };
    readonly checks: {
      readonly config: CheckState;
      readonly database: CheckState;
      readonly migrations: CheckState;
      /** Agreement on the shared configuration with the peers. */
      readonly sync: 'ok' | 'unreachable' | 'odd-one-out' | 'disagreement';
      /** Whether the peers run the same app build ('odd-one-out': this node runs another one than the rest). */
      readonly build: 'ok' | 'odd-one-out' | 'disagreement';
      /** Whether this node's database fits DATABASE_TOPOLOGY and the peers' ('refused': it is the one that must change). */
      readonly topology: 'ok' | 'refused' | 'disagreement';
      /** 'loading': this node is still getting its initial data from a peer, so it holds part of it. */
      readonly initialLoad: 'ok' | 'loading';
    };
    /** One sentence per problem; what a person reads to fix it. */
    readonly problems: readonly string[];
  };
}

export function readinessReport(facts: ReadinessFacts): ReadinessReport {
  const problems: string[] = [];
  const database: CheckState = facts.databaseError === undefined ? 'ok' : 'failed';
  if (facts.databaseError !== undefined) problems.push(`database unreachable: ${facts.databaseError}`);

  let migrations: CheckState = 'ok';
  if (database === 'failed') {
    migrations = 'failed';
  } else if (!Array.isArray(facts.pendingMigrations)) {
    migrations = 'failed';
    problems.push(`migrations: ${(facts.pendingMigrations as { error: string }).error}`);
  } else if (facts.pendingMigrations.length > 0) {
    migrations = 'failed';
    problems.push(`migrations not applied yet: ${facts.pendingMigrations.join(', ')}`);
  }

  let sync: ReadinessReport['body']['checks']['sync'] = 'ok';
  let build: ReadinessReport['body']['checks']['build'] = 'ok';
  if (!facts.sync.reachable) {
    // The app can serve without its sync service (writes queue in the change log); say so, stay ready.
    sync = 'unreachable';
    problems.push(`sync service unreachable (not blocking): ${facts.sync.reason}`);
  } else {
    for (const mismatch of facts.sync.agreement.mismatches) {
      const peers = mismatch.peers.map((p) => `${p.name} (${p.id} at ${p.address})`).join(', ');
      // Older sync services tell oddness only for the whole agreement.
      const odd = mismatch.oddOneOut ?? facts.sync.agreement.oddOneOut;
      const detail = mismatch.detail ? ` (${mismatch.detail})` : '';
      if (mismatch.variable === APP_BUILD_VARIABLE) {
        build = odd ? 'odd-one-out' : 'disagreement';
        problems.push(
          `the app build differs from peers ${peers}${detail}` +
            (odd ? ': this node is the odd one out' : ' (not blocking: this node runs the majority build)'),
        );
      } else {
        if (sync !== 'odd-one-out') sync = odd ? 'odd-one-out' : 'disagreement';
        problems.push(
          `${mismatch.variable} differs from peers ${peers}${detail}` +
            (odd
              ? ': this node is the odd one out, copy the value the other nodes use'
              : ' (not blocking: this node agrees with the majority)'),
        );
      }
    }
  }

  let topology: ReadinessReport['body']['checks']['topology'] = 'ok';
  if (facts.sync.reachable && facts.sync.database?.problem) {
    topology = facts.sync.database.thisNodeRefused ? 'refused' : 'disagreement';
    problems.push(
      `database topology: ${facts.sync.database.problem}` +
        (topology === 'refused' ? '' : ' (not blocking: another node is the one refused)'),
    );
  }

  // A node that could not ask its sync service can't tell; it stays ready (as above).
  const load = facts.sync.reachable ? facts.sync.initialLoad : null;
  const initialLoad = load?.loading ? 'loading' : 'ok';
  if (load?.loading) problems.push(initialLoadProblem(load));

  const ready =
    database === 'ok' &&
    migrations === 'ok' &&
    sync !== 'odd-one-out' &&
    build !== 'odd-one-out' &&
    topology !== 'refused' &&
    initialLoad === 'ok';
  return {
    httpStatus: ready ? 200 : 503,
    body: {
      status: ready ? 'ready' : 'not_ready',
      node: facts.node,
      // The process only runs with a valid environment (it refuses to start otherwise).
      checks: { config: 'ok', database, migrations, sync, build, topology, initialLoad },
      problems,
    },
  };
}

/** What a person reads while the node loads: from which peer, how far, and when it ends. */
function initialLoadProblem(load: SyncInitialLoad): string {
  const source = load.source ? `${load.source.name ?? 'peer'} (${load.source.id})` : 'a connected peer';
  const progress = `${load.rowsApplied ?? 0} rows applied in ${load.pages ?? 0} pages`;
  const since = load.startedAt ? ` since ${load.startedAt}` : '';
  const end = 'ready once every row is in';
  if (load.phase === 'catching-up')
    return `initial load in progress: a restart cut short the load from ${source}; catching up from it by pulls, ${end}`;
  if (load.phase === 'loading')
    return `initial load in progress: this node holds part of the data while it loads from ${source}, ${progress}${since}; ${end}`;
  return `initial load in progress: this node has no data from its peers yet and loads it from ${source}; ${end}`;
}

/** Why a node is (not) ready, in one word: all an anonymous caller learns. */
export type ReadinessReason =
  | 'ok'
  | 'database_unreachable'
  | 'migrations_pending'
  | 'config_differs_from_peers'
  | 'build_differs_from_peers'
  | 'database_topology_refused'
  | 'initial_load_in_progress';

export interface PublicReadiness {
  readonly httpStatus: 200 | 503;
  readonly body: { readonly status: 'ready' | 'not_ready'; readonly reason: ReadinessReason };
}

/**
 * The readiness answer for a caller who is neither on this machine nor an admin (through the entry point or the
 * ingress): ready or not and a reason code. The node's identity, database errors, migration names and peer
 * addresses stay in the full report (`readinessReport`), for loopback callers and admins.
 */
export function publicReadiness(report: ReadinessReport): PublicReadiness {
  const { checks } = report.body;
  let reason: ReadinessReason = 'ok';
  if (checks.database === 'failed') reason = 'database_unreachable';
  else if (checks.migrations === 'failed') reason = 'migrations_pending';
  else if (checks.sync === 'odd-one-out') reason = 'config_differs_from_peers';
  else if (checks.build === 'odd-one-out') reason = 'build_differs_from_peers';
  else if (checks.topology === 'refused') reason = 'database_topology_refused';
  else if (checks.initialLoad === 'loading') reason = 'initial_load_in_progress';
  return { httpStatus: report.httpStatus, body: { status: report.body.status, reason } };
}
