/**
 * The layer boundaries docs/architecture.md states ("Packages and their allowed imports") are enforced by
 * `npm run lint` (eslint.config.mjs): ESLint, with the repository's own configuration, run on snippets placed in
 * each layer of @msk/replication. Every forbidden import is reported; what a layer may import is not.
 */
import { spawnSync } from 'node:child_process';
import { REPOSITORY_ROOT } from '../support/docsCommands';

interface Probe {
  readonly path: string;
  readonly code: string;
}

/** Lints every probe in ONE Node process (ESLint loads eslint.config.mjs with a dynamic import, which Jest's VM
 * can't do); resolves with the no-restricted-imports messages of each, in order. */
function lintProbes(probes: readonly Probe[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const probes = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const eslint = new ESLint({ cwd: process.cwd() });
    (async () => {
      const out = [];
      for (const probe of probes) {
        const [result] = await eslint.lintText(probe.code, { filePath: require('node:path').join(process.cwd(), probe.path) });
        out.push(result.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.fatal).map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: REPOSITORY_ROOT,
    input: JSON.stringify(probes),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`eslint failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const probes: Probe[] = [];
/** Registers a probe now (all run in one ESLint process in beforeAll); the returned function gives its messages. */
function probe(path: string, code: string): () => string[] {
  const index = probes.push({ path, code }) - 1;
  return () => results[index] as string[];
}
let results: string[][] = [];
const importing = (path: string, ...modules: string[]) =>
  probe(path, modules.map((module) => `import '${module}';\n`).join(''));

const coreCases = [
  ['pg', 'core does no I/O'],
  ['node:net', 'core does no I/O'],
  ['node:http', 'core does no I/O'],
  ['node:fs', 'core does no I/O'],
  ['../store/replicationStore', 'core imports nothing of store'],
  ['../engine/replicator', 'core imports nothing of store, engine'],
  ['../postgres/sql', 'core imports nothing of store, engine, postgres'],
].map(
  ([module, message]) => [module, message, importing('replication/src/core/lintProbe.ts', module as string)] as const,
);
const engineCases = [
  ['node:http', 'knows no transport'],
  ['node:net', 'knows no transport'],
  ['pg', 'PostgreSQL stays in postgres/'],
  ['../postgres/postgresStore', 'PostgreSQL stays in postgres/'],
].map(
  ([module, message]) => [module, message, importing('replication/src/engine/lintProbe.ts', module as string)] as const,
);
const storeOnEngine = importing('replication/src/store/lintProbe.ts', '../engine/replicator');
const storeOnPg = importing('replication/src/store/lintProbe.ts', 'pg');
const outside = ['core', 'store', 'engine', 'postgres'].map(
  (layer) =>
    [
      layer,
      ['@msk/sync', '../../../sync/src/service/plugin', '../../../app/src/server/db'].map((module) =>
        importing(`replication/src/${layer}/lintProbe.ts`, module),
      ),
    ] as const,
);
const allowed = [
  probe(
    'replication/src/core/lintProbe.ts',
    "import { z } from 'zod';\nimport { createHash } from 'node:crypto';\nimport './hlc';\nexport { z, createHash };\n",
  ),
  importing('replication/src/store/lintProbe.ts', '../core/protocol'),
  importing('replication/src/engine/lintProbe.ts', '../core/protocol', '../store/replicationStore'),
  importing('replication/src/postgres/lintProbe.ts', 'pg', '../engine/replicator', '../store/applyPlanner'),
];
const testCrossing = importing('replication/src/core/lintProbe.test.ts', '../store/memoryStore');
const contractCases = [
  ['@msk/kit', 'the contract imports no other package'],
  ['../../kit/src/cluster', 'the contract imports no other package'],
  ['zod', 'the contract has no dependencies'],
].map(([module, message]) => [module, message, importing('contract/src/lintProbe.ts', module as string)] as const);
const contractAllowed = importing('contract/src/lintProbe.ts', 'node:crypto', './nodeIdentity');

beforeAll(() => {
  results = lintProbes(probes);
});

describe("the replication engine's layer boundaries (npm run lint)", () => {
  it.each(coreCases)('refuses core importing %s', (_module, message, errors) => {
    expect(errors()).toEqual([expect.stringContaining(message)]);
  });

  it.each(engineCases)('refuses the engine importing %s', (_module, message, errors) => {
    expect(errors()).toEqual([expect.stringContaining(message)]);
  });

  it('refuses the store importing the engine or PostgreSQL', () => {
    expect(storeOnEngine()).toEqual([expect.stringContaining('store imports nothing of engine')]);
    expect(storeOnPg()).toEqual([expect.stringContaining('store does no I/O')]);
  });

  it.each(outside)('refuses %s importing the sync service or the app', (_layer, cases) => {
    for (const errors of cases)
      expect(errors()).toEqual([expect.stringMatching(/imports nothing of the (sync service|app)/)]);
  });

  it('lets each layer import what it builds on: core for all, store for the engine, pg and the engine for postgres', () => {
    for (const errors of allowed) expect(errors()).toEqual([]);
  });

  it('lets tests cross layers (they wire them together)', () => {
    expect(testCrossing()).toEqual([]);
  });
});

describe('the contract has no dependencies (npm run lint)', () => {
  it.each(contractCases)('refuses the contract importing %s', (_module, message, errors) => {
    expect(errors()).toEqual([expect.stringContaining(message)]);
  });

  it('lets it import Node.js modules and its own files', () => {
    expect(contractAllowed()).toEqual([]);
  });
});
