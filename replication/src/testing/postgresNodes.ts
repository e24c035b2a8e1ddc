/** PostgreSQL-backed behaviour nodes for integration tests: a fresh database per node, app-shaped tables. */
import { APP_ROLE, type DatabaseRolePasswords, SYNC_ROLE, setUpDatabaseRoles } from '@msk/kit/postgres';
import { Client, Pool } from 'pg';
import { PostgresReplicationStore } from '../postgres/postgresStore';
import { canonicalJson, qualified, quoteIdent } from '../postgres/sql';
import type { Row } from './appShapedTables';
import { APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, NODE_IDS } from './appShapedTables';
import type { BehaviourCluster, BehaviourNode } from './replicationBehaviour';
import { createTestDatabase } from './testDatabase';
import type { TestDatabase } from './testDatabase';

export interface PostgresNode extends BehaviourNode {
  readonly store: PostgresReplicationStore;
  readonly database: TestDatabase;
  /** The "application's" connection (a different session time zone on purpose). */
  readonly app: Pool;
  close(): Promise<void>;
}

/** A connection string of a test database as another role. */
export function asRole(databaseUrl: string, role: string, password: string): string {
  const url = new URL(databaseUrl);
  url.username = role;
  url.password = encodeURIComponent(password);
  return url.toString();
}

export interface PostgresNodeOptions {
  /**
   * Set up the deployments' roles (kit/src/postgres/databaseRoles.ts) and connect as them: the "application" as
   * msk_app (it creates the tables), the store as msk_sync. @default connect both as the test server's superuser
   */
  readonly roles?: DatabaseRolePasswords;
  /** The store's connection string from its role's (e.g. with `?options=` added, as a DATABASE_URL may have it). @default unchanged */
  readonly storeUrl?: (databaseUrl: string) => string;
}

export async function startPostgresNode(
  nodeId: string,
  ddl = APP_SHAPED_DDL,
  tables: readonly string[] = APP_SHAPED_TABLE_NAMES,
  options: PostgresNodeOptions = {},
): Promise<PostgresNode> {
  const database = await createTestDatabase(`repl_${nodeId.slice(0, 4)}`);
  const { roles } = options;
  if (roles) {
    const superuser = new Client({ connectionString: database.url });
    await superuser.connect();
    try {
      await setUpDatabaseRoles(superuser, roles);
    } finally {
      await superuser.end();
    }
  }
  const appUrl = roles ? asRole(database.url, APP_ROLE, roles.app) : database.url;
  const storeUrl = roles ? asRole(database.url, SYNC_ROLE, roles.sync) : database.url;
  const app = new Pool({ connectionString: appUrl, max: 2, options: '-c TimeZone=Asia/Kolkata -c DateStyle=SQL,DMY' });
  app.on('error', () => undefined);
  let store: PostgresReplicationStore;
  try {
    await app.query(ddl);
    store = await PostgresReplicationStore.open({
      connectionString: options.storeUrl?.(storeUrl) ?? storeUrl,
      nodeId,
      tables,
      poolSize: 3,
    });
  } catch (error) {
    await app.end();
    await database.drop();
    throw error;
  }
  const tableOf = (name: string) => {
    const table = store.tables.find((t) => t.name === name);
    if (!table) throw new Error(`no replicated table ${name}`);
    return table;
  };
  return {
    nodeId,
    store,
    database,
    app,
    async insert(name, row) {
      const table = tableOf(name);
      const columns = Object.keys(row).map(quoteIdent).join(', ');
      await app.query(
        `INSERT INTO ${qualified(table)} (${columns}) SELECT ${columns} FROM jsonb_populate_record(NULL::${qualified(table)}, $1::jsonb)`,
        [JSON.stringify(row)],
      );
    },
    async update(name, pk, changes) {
      const table = tableOf(name);
      const sets = Object.keys(changes)
        .map((c) => `${quoteIdent(c)} = r.${quoteIdent(c)}`)
        .join(', ');
      await app.query(
        `UPDATE ${qualified(table)} t SET ${sets} FROM jsonb_populate_record(NULL::${qualified(table)}, $1::jsonb) r WHERE t.${quoteIdent(table.primaryKey)} = $2`,
        [JSON.stringify(changes), pk],
      );
    },
    async remove(name, pk) {
      const table = tableOf(name);
      await app.query(`DELETE FROM ${qualified(table)} WHERE ${quoteIdent(table.primaryKey)} = $1`, [pk]);
    },
    async rows(name): Promise<Row[]> {
      const table = tableOf(name);
      const result = await app.query<{ v: Row }>(
        `SELECT ${canonicalJson(table, 'd')} AS v FROM ${qualified(table)} d ORDER BY d.${quoteIdent(table.primaryKey)}`,
      );
      return result.rows.map((row) => row.v);
    },
    async close() {
      await store.close();
      await app.end();
      await database.drop();
    },
  };
}

export async function startPostgresCluster(
  nodeCount: number,
  options: PostgresNodeOptions = {},
): Promise<BehaviourCluster & { nodes: PostgresNode[] }> {
  const nodes: PostgresNode[] = [];
  const start = (nodeId: string) => startPostgresNode(nodeId, APP_SHAPED_DDL, APP_SHAPED_TABLE_NAMES, options);
  for (const nodeId of NODE_IDS.slice(0, nodeCount)) nodes.push(await start(nodeId));
  return {
    nodes,
    async addNode() {
      const node = await start(NODE_IDS[nodes.length]!);
      nodes.push(node);
      return node;
    },
    async close() {
      for (const node of nodes) await node.close();
    },
  };
}

/** For a describe block: a `start(nodeId)` whose nodes are closed (databases dropped) after each test. */
export function postgresNodesPerTest(): (nodeId: string) => Promise<PostgresNode> {
  let nodes: PostgresNode[] = [];
  afterEach(async () => {
    for (const node of nodes) await node.close();
    nodes = [];
  });
  return async (nodeId) => {
    const node = await startPostgresNode(nodeId);
    nodes.push(node);
    return node;
  };
}
