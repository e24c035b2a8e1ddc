/** The run's per-test databases (one embedded PostgreSQL per Jest run; see kit/src/testing/testDatabase.ts). */
export { createTestDatabase, type TestDatabase } from '@msk/kit/testing';
