import { NODE_IDS } from '@msk/replication/testing';
import { type PostgresNode, startPostgresNode } from '@msk/replication/testing';
import { LiveSchemaWatch } from './schemaWatch';

describe('watching the live schema (PostgreSQL)', () => {
  let node: PostgresNode;
  beforeAll(async () => {
    node = await startPostgresNode(NODE_IDS[0]);
  });
  afterAll(async () => {
    await node?.close();
  });

  it("reads the store's schema version, a new one after a migration, and names a shape replication cannot follow", async () => {
    const watch = new LiveSchemaWatch(node.app, ['users', 'businesses', 'employees']);
    expect(await watch.read()).toEqual({ kind: 'version', schemaVersion: node.store.schemaVersion });
    expect(await watch.read()).toEqual({ kind: 'version', schemaVersion: node.store.schemaVersion });
    await node.app.query(`ALTER TABLE businesses ADD COLUMN region text`);
    const added = await watch.read();
    expect(added.kind === 'version' && added.schemaVersion).not.toBe(node.store.schemaVersion);
    await node.app.query(`CREATE UNIQUE INDEX businesses_lower_name ON businesses (lower(name))`);
    const broken = await watch.read();
    expect(broken.kind === 'problem' && broken.message).toMatch(/businesses_lower_name.*expression/);
    await node.app.query(`DROP INDEX businesses_lower_name`);
    expect(await watch.read()).toEqual(added);
  });
});
