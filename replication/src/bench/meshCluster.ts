/**
 * N engine nodes in a full mesh, each on its own database of its own embedded PostgreSQL instance, wired with the
 * engine's public API as the sync service wires them: a local commit pokes (or pushes to) every peer through a
 * ChangePusher, each node pulls from each peer with a PullScheduler, and messages cross as JSON text (no HTTP).
 * Every node runs in this thread. The mesh can be cut (no pushes, pulls fail as unreachable) and healed.
 */
import type { Pool } from 'pg';
import type { ReplicationTransport } from '../index';
import {
  ChangePusher,
  PeerUnreachableError,
  PostgresReplicationStore,
  PullScheduler,
  Replicator,
  answerPull,
  answerSnapshot,
  postgresTableHash,
} from '../index';
import { APP_SHAPED_DDL } from '../testing/appShapedTables';
import { ARRIVAL_TRIGGER, ArrivalListener } from './arrivalListener';
import { ENGINE_PULL_LIMIT, WRITER_CONNECTIONS } from './benchSettings';
import type { StartedPostgres } from './benchSupport';
import { createDatabase, quietPool } from './benchSupport';

export interface MeshNode {
  readonly nodeId: string;
  /** The application's connections. */
  readonly app: Pool;
  readonly store: PostgresReplicationStore;
  /** Arrivals of rows on this node (only when the mesh was started with `arrivalProbe`). */
  readonly arrivals: ArrivalListener | undefined;
}

export interface Mesh {
  readonly nodes: readonly MeshNode[];
  /** Replication on: every node pulls from every other at once, then on pokes and pushes (and every second). */
  connect(): void;
  /** Replication off (a partition): pushes stop, pulls stop and any started meanwhile fail as unreachable. */
  disconnect(): Promise<void>;
  /** Each node's users-table hash (the engine's), or a cheaper fingerprint per node while those still differ. */
  readHashes(): Promise<string[]>;
  /** Pull errors and refused batches seen so far. */
  readonly errors: string[];
  stop(): Promise<void>;
}

export interface MeshProps {
  /** Node i runs on servers[i % servers.length]. */
  readonly servers: readonly StartedPostgres[];
  /** The database each node gets on its server (one name, distinct servers). */
  readonly database: string;
  readonly nodeCount: number;
  /** Install the arrival trigger and listen on every node. @default false */
  readonly arrivalProbe?: boolean;
}

/** 16 hex digits per node: 1111…, 2222…, … */
export const meshNodeId = (index: number) => String(index + 1).repeat(16);

const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Row count and the sum of the rows' text hashes, computed by PostgreSQL: equal on nodes that hold equal rows. */
async function fingerprint(app: Pool): Promise<string> {
  const { rows } = await app.query<{ f: string }>(
    `SELECT 'rows ' || count(*) || ', sum ' || coalesce(sum(hashtext(u::text)::bigint), 0) AS f FROM users u`,
  );
  return rows[0]!.f;
}

interface Links {
  /** receiver → source → its scheduler */
  readonly schedulers: Map<string, Map<string, PullScheduler>>;
  readonly pushers: Map<string, ChangePusher>;
  readonly unwatch: (() => void)[];
}

export async function startMesh(props: MeshProps): Promise<Mesh> {
  const nodes: MeshNode[] = [];
  const errors: string[] = [];
  let links: Links | undefined;
  for (let index = 0; index < props.nodeCount; index++) {
    const url = await createDatabase(props.servers[index % props.servers.length]!, props.database);
    const app = quietPool(url, WRITER_CONNECTIONS + 1);
    await app.query(APP_SHAPED_DDL + (props.arrivalProbe ? ARRIVAL_TRIGGER : ''));
    const nodeId = meshNodeId(index);
    const store = await PostgresReplicationStore.open({
      connectionString: url,
      nodeId,
      tables: ['users'],
      poke: { mode: 'notify' },
    });
    nodes.push({ nodeId, app, store, arrivals: props.arrivalProbe ? await ArrivalListener.start(url) : undefined });
  }
  const nodeOf = (nodeId: string) => {
    const node = nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new PeerUnreachableError(nodeId, 'no such node');
    return node;
  };
  const transportFor = (requester: string): ReplicationTransport => ({
    async pull(peerId, request) {
      const current = links;
      if (!current) throw new PeerUnreachableError(peerId, 'partitioned');
      const answer = await answerPull(nodeOf(peerId).store, wire(request), requester);
      current.pushers.get(peerId)?.served(requester, answer);
      return wire(answer);
    },
    async snapshot(peerId, request) {
      if (!links) throw new PeerUnreachableError(peerId, 'partitioned');
      return wire(await answerSnapshot(nodeOf(peerId).store, wire(request), requester));
    },
  });
  const disconnect = async () => {
    const current = links;
    links = undefined;
    if (!current) return;
    for (const unwatch of current.unwatch) unwatch();
    for (const pusher of current.pushers.values()) pusher.stop();
    for (const bySource of current.schedulers.values())
      for (const scheduler of bySource.values()) await scheduler.stop();
  };
  return {
    nodes,
    errors,
    connect() {
      if (links) return;
      const current: Links = { schedulers: new Map(), pushers: new Map(), unwatch: [] };
      for (const node of nodes) {
        const replicator = new Replicator({
          store: node.store,
          transport: transportFor(node.nodeId),
          pullLimit: ENGINE_PULL_LIMIT,
        });
        const bySource = new Map<string, PullScheduler>();
        for (const peer of nodes) {
          if (peer === node) continue;
          const scheduler = new PullScheduler({
            replicator,
            peerId: peer.nodeId,
            fallbackIntervalMs: 1000,
            onOutcome: (outcome) => {
              if (outcome.kind !== 'applied') errors.push(`${node.nodeId} from ${peer.nodeId}: ${outcome.message}`);
            },
            onError: (error) => errors.push(`${node.nodeId} from ${peer.nodeId}: ${String(error)}`),
          });
          bySource.set(peer.nodeId, scheduler);
        }
        current.schedulers.set(node.nodeId, bySource);
      }
      for (const node of nodes) {
        const peers = nodes.filter((peer) => peer !== node).map((peer) => peer.nodeId);
        const pusher = new ChangePusher({
          store: node.store,
          send: async (peerId, push) => {
            const scheduler = current.schedulers.get(peerId)?.get(node.nodeId);
            if (!scheduler || links !== current) return false;
            if (push !== null) return scheduler.offer(wire(push));
            scheduler.poke();
            return false;
          },
        });
        current.pushers.set(node.nodeId, pusher);
        current.unwatch.push(node.store.onChange((committedRow) => pusher.localCommit(peers, committedRow)));
      }
      links = current;
      for (const bySource of current.schedulers.values()) for (const scheduler of bySource.values()) scheduler.start();
    },
    disconnect,
    async readHashes() {
      // the engine's hash runs in this thread, beside the engines it times: only when a cheap fingerprint computed
      // inside PostgreSQL (row count and a sum of row hashes) agrees on every node
      const fingerprints = await Promise.all(nodes.map((node) => fingerprint(node.app)));
      if (fingerprints.some((f) => f !== fingerprints[0])) return fingerprints;
      return Promise.all(
        nodes.map((node) =>
          postgresTableHash(
            node.app,
            node.store.tables.find((t) => t.name === 'users')!,
          ),
        ),
      );
    },
    async stop() {
      await disconnect();
      for (const node of nodes) {
        await node.arrivals?.close();
        await node.store.close();
        await node.app.end();
      }
    },
  };
}
