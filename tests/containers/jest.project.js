// The `containers` Jest project: images, Docker Compose and two real nodes in containers (Testcontainers).
// Needs a Docker engine and Docker Compose v5: on CI `.ci/containers/provision.sh` and `.ci/compose/build.sh` set them up (offline). Add it to
// the root jest.config.js:  projects: [..., require('./tests/containers/jest.project.js')]
const { projectDefaults } = require('../setup/workspaceModules.js');

/** @type {import('jest').Config} */
module.exports = {
  ...projectDefaults,
  displayName: 'containers',
  testMatch: ['<rootDir>/tests/containers/**/*.test.ts'],
  // Checks the engine, (re)builds the project's images from the current host build, picks the base images.
  globalSetup: '<rootDir>/tests/containers/globalSetup.js',
  // A container start is seconds; a whole two-node cluster with its entry point well under a minute on 2 cores.
  testTimeout: 180000,
  setupFilesAfterEnv: ['<rootDir>/tests/setup/longTests.js'],
};
