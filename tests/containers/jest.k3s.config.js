// `npm run test:k3s`: the k3s test alone (tests/containers/kubernetes.k3s-test.ts), with the containers project's
// setup (engine check, images). Not in `npm test`: it needs a rancher/k3s image that CI machines cannot pull.
const containers = require('./jest.project.js');

/** @type {import('jest').Config} */
module.exports = {
  ...containers,
  displayName: 'k3s',
  testMatch: ['<rootDir>/tests/containers/kubernetes.k3s-test.ts'],
};
