/**
 * The initial load as a node's database tells it before the replication store opens (storedLoadState.ts), on real
 * PostgreSQL: a fresh database has its load due, a node that applied from a peer has none, a load cut short is
 * caught up, and a database that does not answer tells nothing.
 */
import {
  APP_SHAPED_DDL,
  APP_SHAPED_TABLE_NAMES,
  NODE_IDS,
  type PostgresNode,
  type TestDatabase,
  createTestDatabase,
  startPostgresNode,
  userRow,
} from '@msk/replication/testing';
import { readStoredLoadState } from './storedLoadState';

jest.setTimeout(60_000);

let fresh: TestDatabase;
let node: PostgresNode;

beforeAll(async () => {
  fresh = await createTestDatabase('stored_load_fresh');
  node = await startPostgresNode(NODE_IDS[0]!, APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES);
});

afterAll(async () => {
  await node?.close();
  await fresh?.drop();
});

describe('the initial load read from the database before the store opens', () => {
  it('is due on a database replication never installed on (a new or wiped node)', async () => {
    expect(await readStoredLoadState(fresh.url)).toMatchObject({ phase: 'due', sourcePeerId: null });
  });

  it('is due once installed while nothing was applied from any peer, and none once something was', async () => {
    expect(await readStoredLoadState(node.database.url)).toMatchObject({ phase: 'due', heldData: false });
    // a node that ran alone: rows of its own, captured (not folded yet), then folded into the change log
    await node.insert('users', userRow());
    expect(await readStoredLoadState(node.database.url)).toMatchObject({ phase: 'due', heldData: true });
    await node.store.foldNow();
    expect(await readStoredLoadState(node.database.url)).toMatchObject({ phase: 'due', heldData: true });
    await node.store.setPeerCursor(NODE_IDS[1]!, { xid: '900', seq: '3' });
    expect(await readStoredLoadState(node.database.url)).toMatchObject({ phase: 'none' });
  });

  it('is catching-up, with the source and its fence, while a load cut short is recorded', async () => {
    await node.store.recordInitialLoadInProgress(NODE_IDS[1]!, '812');
    expect(await readStoredLoadState(node.database.url)).toMatchObject({
      phase: 'catching-up',
      sourcePeerId: NODE_IDS[1],
      fence: '812',
      startedAtMs: expect.any(Number),
    });
    await node.store.clearInitialLoadInProgress();
    expect(await readStoredLoadState(node.database.url)).toMatchObject({ phase: 'none' });
  });

  it('tells nothing when the database does not answer', async () => {
    const url = new URL(fresh.url);
    url.password = 'wrong-password-for-this-test';
    url.username = 'nobody_here';
    expect(await readStoredLoadState(url.toString())).toBeUndefined();
  });
});
