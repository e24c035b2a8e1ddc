/**
 * Bridge to the lead's per-test database helper (kit/src/postgres/testDatabase.ts), which the sync package can't
 * import directly (kit does not export `./postgres` yet, and sync's rootDir is src). Jest-only: integration tests
 * reach it through here; swap for `import { createTestDatabase } from '@msk/kit/postgres'` once that exists.
 */
import { join } from 'node:path';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

interface KitTestDatabaseModule {
  createTestDatabase(prefix?: string): Promise<TestDatabase>;
}

export function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const kit = require(join(__dirname, '..', '..', '..', '..', 'kit', 'src', 'postgres', 'testDatabase')) as KitTestDatabaseModule;
  return kit.createTestDatabase(prefix);
}
