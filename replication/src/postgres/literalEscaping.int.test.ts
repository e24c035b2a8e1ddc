/**
 * The store writes small applies' values into its SQL as literals. A DATABASE_URL may carry its own session
 * options (`?options=-c ...`), which replace the store's: with standard_conforming_strings off, a backslash in a
 * plain '...' literal is an escape. The literals must mean the same whatever that setting is.
 */
import { Client } from 'pg';
import { createInProcessNetwork } from '../engine/inProcessTransport';
import { replicateUntilQuiet } from '../engine/replicateUntilQuiet';
import { Replicator } from '../engine/replicator';
import { APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, NODE_IDS, businessRow } from '../testing/appShapedTables';
import type { PostgresNode } from '../testing/postgresNodes';
import { startPostgresNode } from '../testing/postgresNodes';
import { createTestDatabase } from '../testing/testDatabase';
import { literal } from './storeStatements';

const withOptions = (options: string) => (url: string) => {
  const withThem = new URL(url);
  withThem.searchParams.set('options', options);
  return withThem.toString();
};

const TRICKY = [
  `C:\\new\\table`,
  `it's "quoted"`,
  `ends with a backslash \\`,
  `\\'; SELECT 1; --`,
  `\\\\ two \\x41 \\n`,
  '{a,b}',
  'plain',
];

describe('values with backslashes and quotes', () => {
  let nodes: PostgresNode[] = [];
  afterEach(async () => {
    for (const node of nodes) await node.close();
    nodes = [];
  });

  it.each(['on', 'off'])(
    'are written as literals that PostgreSQL reads back unchanged with standard_conforming_strings %s',
    async (setting) => {
      const database = await createTestDatabase('literals');
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(`SET standard_conforming_strings = ${setting}`);
        for (const value of TRICKY)
          expect((await client.query(`SELECT ${literal(value)}::text AS v`)).rows[0].v).toBe(value);
        expect((await client.query(`SELECT ${literal(TRICKY)}::text[] AS v`)).rows[0].v).toEqual(TRICKY);
      } finally {
        await client.end();
        await database.drop();
      }
    },
  );

  it('replicate and converge when DATABASE_URL turns standard_conforming_strings off', async () => {
    const storeUrl = withOptions('-c standard_conforming_strings=off');
    for (const nodeId of NODE_IDS.slice(0, 2))
      nodes.push(await startPostgresNode(nodeId, APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, { storeUrl }));
    const [a, b] = nodes as [PostgresNode, PostgresNode];
    const network = createInProcessNetwork((nodeId) => nodes.find((node) => node.nodeId === nodeId)?.store);
    const replication = nodes.map((node) => ({
      nodeId: node.nodeId,
      replicator: new Replicator({ store: node.store, transport: network.transportFor(node.nodeId) }),
      peers: nodes.filter((other) => other !== node).map((other) => other.nodeId),
    }));
    const converge = async () => {
      const result = await replicateUntilQuiet(replication);
      expect(result.problems).toEqual([]);
      expect(await b.rows('businesses')).toEqual(await a.rows('businesses'));
    };

    const tricky = TRICKY;
    const rows = tricky.map((name) => businessRow({ name, address: `${name} street` }));
    for (const row of rows) await a.insert('businesses', row); // new rows: the fast path's literals
    await converge();
    expect((await b.rows('businesses')).map((row) => row.name).sort()).toEqual([...tricky].sort());

    await b.update('businesses', rows[0]!.id as string, { name: `renamed \\ on b's side` }); // the merge's literals
    await a.remove('businesses', rows[1]!.id as string); // a tombstone keeps the values (JSON, with its own backslashes)
    await converge();
    expect((await a.rows('businesses')).find((row) => row.id === rows[0]!.id)?.name).toBe(`renamed \\ on b's side`);
    expect(await a.rows('businesses')).toHaveLength(tricky.length - 1);
  });
});
