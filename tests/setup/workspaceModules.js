// What every Jest project of the repository shares: the repository as rootDir, TypeScript through SWC, and the
// workspace packages mapped to their sources (so tests never run a stale dist/). jest.config.js and
// tests/*/jest.project.js spread it into each project.
const { join } = require('node:path');

const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' }, module: { type: 'commonjs' } },
];

const projectDefaults = {
  rootDir: join(__dirname, '..', '..'),
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@msk/contract/(.*)$': '<rootDir>/contract/src/$1/index.ts',
    '^@msk/contract$': '<rootDir>/contract/src/index.ts',
    '^@msk/kit/(.*)$': '<rootDir>/kit/src/$1/index.ts',
    '^@msk/kit$': '<rootDir>/kit/src/index.ts',
    '^@msk/replication/testing$': '<rootDir>/replication/src/testing/index.ts',
    '^@msk/replication$': '<rootDir>/replication/src/index.ts',
    // the app's path alias (app/tsconfig.json `paths`)
    '^@/(.*)$': '<rootDir>/app/src/$1',
  },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/app/.next/', '<rootDir>/examples/.*/\\.next/', '<rootDir>/.*/dist/'],
};

module.exports = { projectDefaults };
