/**
 * A paged join on PostgreSQL whose database loses its newest applies (they commit asynchronously, so a crash can
 * take the last pages, their cursor with them): the load resumes from the cursor the database kept, never from
 * the position the service remembers, so no page's rows are skipped.
 */
import type { SnapshotPageRequest } from '../core/snapshotPages';
import { createInProcessNetwork } from '../engine/inProcessTransport';
import { Replicator } from '../engine/replicator';
import { tableHashOf } from '../engine/tableHash';
import type { Row } from '../testing/appShapedTables';
import { userRow } from '../testing/appShapedTables';
import type { PostgresNode } from '../testing/postgresNodes';
import { startPostgresCluster } from '../testing/postgresNodes';

const SOURCE_ROWS = 20;
const PAGE_CHANGES = 5;

describe('a paged join whose database lost its last applied page', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('is refused once, then resumes from the cursor the database kept and loads the lost rows again', async () => {
    const cluster = await startPostgresCluster(1);
    close = () => cluster.close();
    const source = cluster.nodes[0]!;
    const users: Row[] = Array.from({ length: SOURCE_ROWS }, () => userRow());
    for (const user of users) await source.insert('users', user);
    const joiner = (await cluster.addNode()) as PostgresNode;
    const inner = createInProcessNetwork((nodeId) => cluster.nodes.find((node) => node.nodeId === nodeId)?.store);
    const network = inner.transportFor(joiner.nodeId);
    const pages: SnapshotPageRequest[] = [];
    const answered: string[][] = [];
    let failThird = true;
    const replicator = new Replicator({
      store: joiner.store,
      transport: {
        ...network,
        snapshotPage: (peerId, request) => {
          pages.push(request);
          if (failThird && pages.length === 3) return Promise.reject(new Error('connection reset'));
          return network.snapshotPage!(peerId, request).then((answer) => {
            answered.push((answer as { changes: { pk: string }[] }).changes.map((change) => change.pk));
            return answer;
          });
        },
      },
      snapshotPageLimit: PAGE_CHANGES,
    });
    expect((await replicator.initialLoad(source.nodeId, [])).kind).toBe('unreachable');
    expect((await joiner.rows('users')).length).toBe(2 * PAGE_CHANGES);

    // what a crash with asynchronous commit can do: the second page's rows, their states and its cursor are gone
    const lostPage = answered[1]!;
    expect(lostPage).toHaveLength(PAGE_CHANGES);
    const firstPageEnd = pages[1]!.after!;
    const db = await joiner.app.connect();
    try {
      await db.query(`BEGIN; SET LOCAL msk.origin = '${source.nodeId}'`);
      await db.query('DELETE FROM users WHERE id = ANY($1::uuid[])', [lostPage]);
      await db.query('DELETE FROM msk_sync.change_log WHERE pk = ANY($1::uuid[])', [lostPage]);
      await db.query('UPDATE msk_sync.peer SET cursor_xid = $1::xid8, cursor_seq = $2 WHERE node_id = $3', [
        firstPageEnd.xid,
        firstPageEnd.seq,
        source.nodeId,
      ]);
      await db.query('COMMIT');
    } finally {
      db.release();
    }

    failThird = false;
    const refused = await replicator.initialLoad(source.nodeId, []);
    expect(refused.kind).toBe('refused');
    expect(refused.kind !== 'applied' && refused.message).toMatch(/not where this service last left it/);
    const asked = pages.length;
    const resumed = await replicator.initialLoad(source.nodeId, []);
    expect(resumed.kind).toBe('applied');
    // asked again from the end of the first page, under the same fence
    expect(pages[asked]).toMatchObject({ fence: pages[1]!.fence, after: firstPageEnd });
    const rows = await joiner.rows('users');
    expect(rows.length).toBe(SOURCE_ROWS);
    expect(tableHashOf(rows)).toBe(tableHashOf(await source.rows('users')));
  });
});
