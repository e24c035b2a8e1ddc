// The `kubernetes` Jest project: the synthesized manifests and the Helm chart on a real single-node Kubernetes
// built from upstream source (.ci/kubernetes). Needs root, a Docker engine with the project's images
// (.ci/containers/provision.sh) and the cluster: globalSetup uses one that .ci/kubernetes/up.sh already started,
// or builds and starts one itself (and stops it afterwards). `npm run test:kubernetes` runs this project alone.
// Transform and module mapping as the containers project's.
const containers = require('../containers/jest.project.js');

/** @type {import('jest').Config} */
module.exports = {
  ...containers,
  displayName: 'kubernetes',
  testMatch: ['<rootDir>/tests/kubernetes/**/*.test.ts'],
  globalSetup: '<rootDir>/tests/kubernetes/globalSetup.js',
  globalTeardown: '<rootDir>/tests/kubernetes/globalTeardown.js',
  setupFilesAfterEnv: ['<rootDir>/tests/kubernetes/support/timeouts.js'],
};
