// The `containers` Jest project: images, Docker Compose and two real nodes in containers (Testcontainers).
// Needs a Docker engine and Docker Compose v5: on CI `.ci/containers/provision.sh` and `.ci/compose/build.sh` set them up (offline). Add it to
// the root jest.config.js:  projects: [..., require('./tests/containers/jest.project.js')]
const { join } = require('node:path');

const rootDir = join(__dirname, '..', '..');
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' }, module: { type: 'commonjs' } }];

/** @type {import('jest').Config} */
module.exports = {
  rootDir,
  displayName: 'containers',
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@msk/contract/(.*)$': '<rootDir>/contract/src/$1/index.ts',
    '^@msk/contract$': '<rootDir>/contract/src/index.ts',
    '^@msk/kit/(.*)$': '<rootDir>/kit/src/$1/index.ts',
    '^@msk/kit$': '<rootDir>/kit/src/index.ts',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/app/.next/', '<rootDir>/examples/.*/\\.next/', '<rootDir>/.*/dist/'],
  testMatch: ['<rootDir>/tests/containers/**/*.test.ts'],
  // Checks the engine, (re)builds the project's images from the current host build, picks the base images.
  globalSetup: '<rootDir>/tests/containers/globalSetup.js',
  // A container start is seconds; a whole two-node cluster with its entry point well under a minute on 2 cores.
  testTimeout: 180000,
  setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
};
