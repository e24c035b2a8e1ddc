// The `kubernetes` Jest project: the synthesized manifests and the Helm chart on a real single-node Kubernetes
// built from upstream source (.ci/kubernetes). Needs root, a Docker engine with the project's images
// (.ci/containers/provision.sh) and the cluster: globalSetup uses one that .ci/kubernetes/up.sh already started,
// or builds and starts one itself (and stops it afterwards). `npm run test:kubernetes` runs this project alone.
const { join } = require('node:path');

const rootDir = join(__dirname, '..', '..');
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' }, module: { type: 'commonjs' } }];

/** @type {import('jest').Config} */
module.exports = {
  rootDir,
  displayName: 'kubernetes',
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@msk/kit/(.*)$': '<rootDir>/kit/src/$1/index.ts',
    '^@msk/kit$': '<rootDir>/kit/src/index.ts',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/app/.next/', '<rootDir>/.*/dist/'],
  testMatch: ['<rootDir>/tests/kubernetes/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/kubernetes/globalSetup.js',
  globalTeardown: '<rootDir>/tests/kubernetes/globalTeardown.js',
  setupFilesAfterEnv: ['<rootDir>/tests/kubernetes/support/timeouts.js'],
};
