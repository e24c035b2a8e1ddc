/**
 * The preamble of the suites that run faults, skews, upgrades and restores on a local cluster: start it, wait until
 * it is ready (sync running on every node, or the suite's own check), optionally until every node holds the same
 * first-admin row, and sign the admin in through the entry point. The suite stops the cluster in its afterAll; one
 * that never became ready is stopped here (the suite never got hold of it).
 */
import { type LocalClusterOptions, type StartedLocalCluster, startLocalCluster } from '@msk/kit/cluster';
import { ClusterDatabases, rowCount, syncRunningEverywhere } from './clusterChecks';
import { type Session, newCounters, signInRetrying } from './retryingClient';

/** Nodes of a fault-style suite: enough for a majority to carry on while one is down. */
export const SUITE_NODES = 3;
/** How long a healed three-node cluster may take to converge after a fault. */
export const QUIESCE_TIMEOUT_MS = 60_000;
const SYNC_RUNNING_TIMEOUT_MS = 60_000;

export interface ClusterReadiness {
  /** What tells the suite the nodes are up and talking. @default sync running on every node (60 s) */
  readonly ready?: (cluster: StartedLocalCluster) => Promise<void>;
  /** Also wait, this long at most, until every node's database holds the same single first-admin row. @default no wait */
  readonly firstAdminWithinMs?: number;
}

export interface ReadyCluster {
  readonly cluster: StartedLocalCluster;
  readonly dbs: ClusterDatabases;
}

export async function startReadyCluster(
  options: LocalClusterOptions,
  readiness: ClusterReadiness = {},
): Promise<ReadyCluster> {
  const cluster = await startLocalCluster(options);
  return stoppedOnFailure(cluster, async () => {
    const dbs = new ClusterDatabases(cluster);
    await (readiness.ready ?? ((started) => syncRunningEverywhere(started, SYNC_RUNNING_TIMEOUT_MS)))(cluster);
    if (readiness.firstAdminWithinMs !== undefined)
      await dbs.quiesce(readiness.firstAdminWithinMs, (hashes) => rowCount(hashes.users) === 1);
    return { cluster, dbs };
  });
}

/** startReadyCluster, then the cluster's admin signed in through the entry point. */
export async function startSignedInCluster(
  options: LocalClusterOptions,
  readiness: ClusterReadiness = {},
): Promise<ReadyCluster & { readonly session: Session }> {
  const ready = await startReadyCluster(options, readiness);
  const { cluster } = ready;
  return stoppedOnFailure(cluster, async () => {
    const session = await signInRetrying(cluster.entryUrl, cluster.admin.email, cluster.admin.password, newCounters());
    return { ...ready, session };
  });
}

async function stoppedOnFailure<T>(cluster: StartedLocalCluster, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await cluster.stop().catch(() => undefined);
    throw error;
  }
}
