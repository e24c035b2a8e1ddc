/**
 * Test support shared by the workspaces' tests (`@msk/kit/testing`). Never part of a production build: the
 * production tsconfig of every workspace leaves out `testing/` folders, tests and benches (tsconfig.test.json
 * compiles them), so no image carries this.
 */
export { useTemporaryDirectory } from './temporaryDirectory';
export { createTestDatabase, testServerUrl, type TestDatabase } from './testDatabase';
// The one freePort: the embedded server picks its port with it too.
export { freePort } from '../postgres/embeddedPostgres';
