const { rmSync } = require('node:fs');

module.exports = async function postgresGlobalTeardown() {
  const state = globalThis.__MSK_TEST_PG__;
  if (!state) return;
  await state.server.stop();
  rmSync(state.dir, { recursive: true, force: true });
};
