export { createTestDatabase, testServerUrl, type TestDatabase } from './testDatabase';
export type { EmbeddedPostgresProps, StartedPostgres } from './embeddedPostgres';
