/** The run's per-test databases (one embedded PostgreSQL per Jest run; see kit/src/postgres/testDatabase.ts). */
export { createTestDatabase, type TestDatabase } from '@msk/kit/postgres';
