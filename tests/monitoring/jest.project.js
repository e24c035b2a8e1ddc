// The `monitoring` Jest project: the Prometheus rules and the Grafana dashboard checked with the real promtool, and
// a local two-node cluster scraped by a real Prometheus server, both built from upstream source
// (.ci/monitoring/build.sh; globalSetup builds them when the cache lacks them, which takes minutes once).
// `npm run test:monitoring` runs this project alone.
const { projectDefaults } = require('../setup/workspaceModules.js');

/** @type {import('jest').Config} */
module.exports = {
  ...projectDefaults,
  displayName: 'monitoring',
  testMatch: ['<rootDir>/tests/monitoring/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/monitoring/globalSetup.js',
  setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
};
