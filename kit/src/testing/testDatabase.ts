/**
 * Fresh databases for integration tests, inside the one PostgreSQL server the Jest globalSetup starts per run
 * (its admin URL is in MSK_TEST_PG_URL). Plain `pg`, so usable from any test file.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

export function testServerUrl(): string {
  const url = process.env.MSK_TEST_PG_URL;
  if (!url) {
    throw new Error(
      'MSK_TEST_PG_URL is not set: integration tests need the PostgreSQL started by tests/setup/postgresGlobalSetup.js ' +
        '(run them through `npx jest --selectProjects integration`)',
    );
  }
  return url;
}

export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const server = new URL(testServerUrl());
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: server.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: server.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
