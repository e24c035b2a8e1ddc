// One Jest run for the whole repository, split into projects by test tier:
//   unit         pure code beside its source (no I/O): `jest --selectProjects unit` needs nothing running
//   integration  real PostgreSQL (embedded), real processes on loopback addresses
//   packaging    npm pack of @msk/kit and @msk/sync installed into projects outside the repository, running the setup
//                guide's service:* commands on two nodes (needs the npm registry or a warm npm cache, and PostgreSQL)
//   docs         README.md and docs/: every shell block marked and run, every link resolving; the docs' commands
//                run in a scratch copy of the repository (init, doctor, npm start as written)
//   e2e          a real browser (Debian's Chromium via playwright-core) against a local cluster
//   containers   real images and containers (Testcontainers, docker-compose): needs a Docker engine (.ci/containers)
//   kubernetes   the manifests and the Helm chart on a real cluster built from upstream source (.ci/kubernetes)
//   monitoring   alert rules and dashboard with the real promtool, a local cluster scraped by a real Prometheus
//                server (both built from upstream source by .ci/monitoring/build.sh)
const { projectDefaults: common } = require('./tests/setup/workspaceModules.js');

/** @type {import('jest').Config} */
module.exports = {
  reporters: ['default', '<rootDir>/tests/setup/summaryReporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{contract,kit,replication,sync,app,cdk8s}/src/**/*.test.ts?(x)',
        '<rootDir>/examples/*/src/**/*.test.ts?(x)',
      ],
      testPathIgnorePatterns: ['\\.int\\.test\\.tsx?$'],
    },
    {
      ...common,
      displayName: 'integration',
      globalSetup: '<rootDir>/tests/setup/postgresGlobalSetup.js',
      globalTeardown: '<rootDir>/tests/setup/postgresGlobalTeardown.js',
      setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
      testMatch: [
        '<rootDir>/{contract,kit,replication,sync,app,cdk8s}/src/**/*.int.test.ts?(x)',
        '<rootDir>/tests/integration/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'docs',
      testMatch: ['<rootDir>/tests/docs/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
    },
    {
      ...common,
      displayName: 'packaging',
      globalSetup: '<rootDir>/tests/setup/postgresGlobalSetup.js',
      globalTeardown: '<rootDir>/tests/setup/postgresGlobalTeardown.js',
      setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
      testMatch: ['<rootDir>/tests/packaging/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
    },
    require('./tests/containers/jest.project.js'),
    require('./tests/kubernetes/jest.project.js'),
    require('./tests/monitoring/jest.project.js'),
  ],
};
