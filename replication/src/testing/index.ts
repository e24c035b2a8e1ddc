/**
 * Test support of the replication engine (never published, never in an image): app-shaped tables and rows, the
 * run's test databases, replication nodes on real PostgreSQL, and a wait. `@msk/replication/testing` resolves only
 * inside this repository (the `msk-workspace` condition).
 */
export * from './appShapedTables';
export * from './postgresNodes';
export * from './testDatabase';
export * from './waitUntil';
