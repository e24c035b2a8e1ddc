/**
 * Fan-out lag: a row written on one node until it is readable on ALL the others, on a 5-node mesh, against the
 * same on a 2-node mesh (same wiring, same run), sampled interleaved as the two-node lag is (one sample on each
 * in turn, LAG_SPACING_MS apart). Each mesh node has its own embedded PostgreSQL instance.
 */
import { uuidV7 } from '../testing/appShapedTables';
import { insertOne } from './benchRows';
import { FAN_OUT_NODES, FAN_OUT_SAMPLES, LAG_SPACING_MS } from './benchSettings';
import type { StartedPostgres } from './benchSupport';
import { now, sleep } from './benchSupport';
import type { Mesh } from './meshCluster';
import { startMesh } from './meshCluster';

export interface FanOutLag {
  /** Per sample, ms until readable on the other node of the 2-node mesh. */
  readonly twoNodesMs: number[];
  /** Per sample, ms until readable on all the other nodes of the 5-node mesh. */
  readonly fiveNodesMs: number[];
  readonly errors: string[];
}

/** Writes one row on node 0; resolves when every other node has it. */
async function sample(mesh: Mesh): Promise<number> {
  const [writer, ...others] = mesh.nodes;
  const id = uuidV7();
  const arrived = Promise.all(others.map((node) => node.arrivals!.arrival(id)));
  const sentMs = now();
  await insertOne(writer!.app, id);
  return Math.max(...(await arrived)) - sentMs;
}

export async function measureFanOut(servers: readonly StartedPostgres[]): Promise<FanOutLag> {
  const meshes: Mesh[] = [];
  try {
    meshes.push(await startMesh({ servers, database: 'fan_out_2', nodeCount: 2, arrivalProbe: true }));
    meshes.push(await startMesh({ servers, database: 'fan_out_5', nodeCount: FAN_OUT_NODES, arrivalProbe: true }));
    for (const mesh of meshes) {
      mesh.connect();
      for (let i = 0; i < 20; i++) await sample(mesh); // warm-up
    }
    const lags = meshes.map(() => [] as number[]);
    for (let i = 0; i < FAN_OUT_SAMPLES; i++) {
      for (const [index, mesh] of meshes.entries()) {
        lags[index]!.push(await sample(mesh));
        await sleep(LAG_SPACING_MS);
      }
    }
    return { twoNodesMs: lags[0]!, fiveNodesMs: lags[1]!, errors: meshes.flatMap((mesh) => mesh.errors) };
  } finally {
    for (const mesh of meshes) await mesh.stop();
  }
}
