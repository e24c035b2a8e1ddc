// The `monitoring` Jest project: the Prometheus rules and the Grafana dashboard checked with the real promtool, and
// a local two-node cluster scraped by a real Prometheus server, both built from upstream source
// (.ci/monitoring/build.sh; globalSetup builds them when the cache lacks them, which takes minutes once).
// `npm run test:monitoring` runs this project alone.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' }, module: { type: 'commonjs' } }];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: require('node:path').join(__dirname, '..', '..'),
  displayName: 'monitoring',
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@msk/contract/(.*)$': '<rootDir>/contract/src/$1/index.ts',
    '^@msk/contract$': '<rootDir>/contract/src/index.ts',
    '^@msk/kit/(.*)$': '<rootDir>/kit/src/$1/index.ts',
    '^@msk/kit$': '<rootDir>/kit/src/index.ts',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/app/.next/', '<rootDir>/examples/.*/\\.next/', '<rootDir>/.*/dist/'],
  testMatch: ['<rootDir>/tests/monitoring/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/monitoring/globalSetup.js',
  setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
};
