/**
 * A transaction that took a LOWER log position but commits LAST is never skipped: capture entries are consumed
 * (folded) only once committed, whatever their position, and the change log is read behind the xid fence.
 */
import { Client } from 'pg';
import type { ChangeBatch, Cursor } from '../core/protocol';
import { NODE_IDS, userRow } from '../testing/appShapedTables';
import type { PostgresNode } from '../testing/postgresNodes';
import { startPostgresNode } from '../testing/postgresNodes';

const READER = NODE_IDS[1];

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

async function insertUser(client: Client, row = userRow()): Promise<{ id: string; seq: number }> {
  await client.query('INSERT INTO users SELECT * FROM jsonb_populate_record(NULL::users, $1)', [JSON.stringify(row)]);
  // the transaction sees its own uncommitted capture entry
  const { rows } = await client.query<{ seq: string }>('SELECT seq::text FROM msk_sync.capture_log WHERE pk = $1', [
    row.id,
  ]);
  return { id: row.id!, seq: Number(rows[0]!.seq) };
}

async function pullAll(node: PostgresNode, cursor: Cursor | null): Promise<{ ids: string[]; cursor: Cursor }> {
  const ids: string[] = [];
  let next = cursor;
  for (;;) {
    const batch = (await node.store.readChanges({ forPeer: READER, cursor: next, limit: 1000 })) as ChangeBatch;
    ids.push(...batch.changes.map((change) => change.pk));
    next = batch.nextCursor;
    if (!batch.hasMore) return { ids, cursor: next };
  }
}

/** A reader without the fence: "entries with a position above the last one I saw". */
async function naiveRead(node: PostgresNode, afterSeq: number): Promise<number[]> {
  const { rows } = await node.app.query<{ seq: string }>(
    'SELECT seq::text FROM msk_sync.capture_log WHERE seq > $1 ORDER BY seq',
    [afterSeq],
  );
  return rows.map((row) => Number(row.seq));
}

describe('reading the change log behind the xid fence', () => {
  let node: PostgresNode;
  const clients: Client[] = [];
  beforeEach(async () => {
    node = await startPostgresNode(NODE_IDS[0]);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.end().catch(() => undefined);
    await node.close();
  });

  it('does not skip a transaction with the lower log position that commits last', async () => {
    const slow = await connect(node.database.url);
    const fast = await connect(node.database.url);
    clients.push(slow, fast);
    await slow.query('BEGIN');
    const early = await insertUser(slow);
    await fast.query('BEGIN');
    const late = await insertUser(fast);
    await fast.query('COMMIT');
    expect(early.seq).toBeLessThan(late.seq);

    // the hazard is real: a reader going by position alone now sees the later entry and would move past the earlier one
    expect(await naiveRead(node, 0)).toEqual([late.seq]);

    const first = await pullAll(node, null);
    expect(first.ids).toEqual([]); // the open transaction holds the fence back, so nothing is read past it
    await slow.query('COMMIT');
    const second = await pullAll(node, first.cursor);
    expect(second.ids.sort()).toEqual([early.id, late.id].sort());
  });

  it('does not skip it either when the late committer holds the higher transaction id', async () => {
    const older = await connect(node.database.url);
    const younger = await connect(node.database.url);
    clients.push(older, younger);
    await older.query('BEGIN');
    await older.query('SELECT pg_current_xact_id()'); // takes the lower xid now
    await younger.query('BEGIN');
    const lowPosition = await insertUser(younger); // lower log position, higher xid
    const highPosition = await insertUser(older); // higher log position, lower xid
    await older.query('COMMIT');
    const first = await pullAll(node, null);
    expect(first.ids).not.toContain(lowPosition.id); // not committed yet
    await younger.query('COMMIT');
    const second = await pullAll(node, first.cursor);
    expect([...first.ids, ...second.ids].sort()).toEqual([lowPosition.id, highPosition.id].sort());
    expect(lowPosition.seq).toBeLessThan(highPosition.seq);
  });

  it('a reader pulling all the time sees every row committed by overlapping writers', async () => {
    const writers = await Promise.all([1, 2, 3, 4].map(() => connect(node.database.url)));
    clients.push(...writers);
    const committed = new Set<string>();
    let writing = true;
    const seen = new Set<string>();
    let cursor: Cursor | null = null;
    const reader = (async () => {
      while (writing) {
        const result = await pullAll(node, cursor);
        result.ids.forEach((id) => seen.add(id));
        cursor = result.cursor;
      }
    })();
    await Promise.all(
      writers.map(async (writer, index) => {
        for (let i = 0; i < 25; i++) {
          await writer.query('BEGIN');
          const { id } = await insertUser(writer);
          await new Promise((resolve) => setTimeout(resolve, (i * 7 + index * 13) % 11));
          if ((i + index) % 5 === 0) {
            await writer.query('ROLLBACK');
          } else {
            await writer.query('COMMIT');
            committed.add(id);
          }
        }
      }),
    );
    writing = false;
    await reader;
    const last = await pullAll(node, cursor);
    last.ids.forEach((id) => seen.add(id));
    expect(committed.size).toBe(80);
    expect([...committed].filter((id) => !seen.has(id))).toEqual([]);
    expect([...seen].filter((id) => !committed.has(id))).toEqual([]);
  });
});
