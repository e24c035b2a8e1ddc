#!/usr/bin/env node
/**
 * Soak: the fault mix of tests/integration/faults.test.ts for longer. Starts a local cluster, then runs seeded
 * random faults (kill -9 of sync, app or PostgreSQL, node restart, node wipe, a node's clock 1.5-4 s ahead) under a
 * stream of writes through the entry point, each followed by heal, quiesce and the checks: every node's per-table
 * hashes equal and every acknowledged write on every node. Prints a line per fault and a final table; exits 1 if
 * anything was lost or diverged.
 *
 *   npm run soak -- [--count N] [--duration-ms MS] [--seed S] [--nodes 3] [--address-block 49]
 *
 * Needs the compiled kit and sync (npm run build:ts) and the built app (node kit/dist/cli/main.js build-app).
 */
'use strict';
const { readFileSync } = require('node:fs');
const { parseArgs } = require('node:util');
const swc = require('@swc/core');

// tests/support/*.ts are shared with the Jest tests: compile TypeScript on require, the way Jest's @swc/jest does.
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { startLocalCluster } = require('@msk/kit/cluster');
const tools = {
  ...require('../support/clusterChecks.ts'),
  ...require('../support/faultMix.ts'),
  ...require('../support/retryingClient.ts'),
};

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    'duration-ms': { type: 'string' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: '3' },
    'address-block': { type: 'string', default: '49' },
    'quiesce-timeout-ms': { type: 'string', default: '120000' },
  },
});

function wholeNumber(name, raw, min) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const nodes = wholeNumber('nodes', values.nodes, 2);
  const addressBlock = wholeNumber('address-block', values['address-block'], 0);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : wholeNumber('seed', values.seed, 0);
  const durationMs =
    values['duration-ms'] === undefined ? undefined : wholeNumber('duration-ms', values['duration-ms'], 1);
  const count =
    values.count === undefined
      ? durationMs === undefined
        ? 20
        : Number.MAX_SAFE_INTEGER
      : wholeNumber('count', values.count, 1);
  const quiesceTimeoutMs = wholeNumber('quiesce-timeout-ms', values['quiesce-timeout-ms'], 1000);
  const limit = [
    count !== Number.MAX_SAFE_INTEGER ? `${count} faults` : '',
    durationMs !== undefined ? `${durationMs} ms` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  console.log(
    `soak: seed ${seed} (replay with --seed ${seed}), ${nodes} nodes on 127.0.${addressBlock}.x, until ${limit}`,
  );

  const started = Date.now();
  const cluster = await startLocalCluster({ nodes, addressBlock });
  const outcomes = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.log('soak: interrupted, finishing the current fault');
  });
  try {
    const dbs = new tools.ClusterDatabases(cluster);
    await tools.syncRunningEverywhere(cluster, 60_000);
    await dbs.quiesce(quiesceTimeoutMs, (h) => tools.rowCount(h.users) === nodes);
    const session = await tools.signInRetrying(
      cluster.entryUrl,
      cluster.admin.email,
      cluster.admin.password,
      tools.newCounters(),
    );
    // the same sequence as the test's mix: `--seed <the test's seed> --count 4` replays it
    const plans = tools.faultSequence(seed, nodes);
    for (let i = 0; i < count && !interrupted; i++) {
      if (durationMs !== undefined && Date.now() - started > durationMs) break;
      const plan = plans.next().value;
      const outcome = await tools.runFault(cluster, dbs, session, plan, quiesceTimeoutMs);
      outcomes.push(outcome);
      const lost = tools.lostCount(outcome);
      console.log(
        `[${String(i + 1).padStart(4)}] ${`${plan.kind}@node-${plan.node}`.padEnd(22)} down ${String(plan.downMs).padStart(4)} ms  ` +
          (plan.clockOffsetMs === undefined ? '' : `clock +${plan.clockOffsetMs} ms  `) +
          `acknowledged ${String(outcome.acknowledged).padStart(4)}  lost ${lost}  hashes ${outcome.hashesEqual ? 'equal' : 'DIFFER'}  ` +
          `quiesced in ${outcome.quiesceMs} ms${outcome.error ? `  ERROR ${outcome.error}` : ''}`,
      );
      if (lost > 0) console.log(`       lost ids: ${JSON.stringify(outcome.lost)}`);
    }
  } finally {
    await cluster.stop();
  }

  const rows = {};
  for (const o of outcomes) {
    const row = (rows[o.plan.kind] ??= {
      faults: 0,
      survived: 0,
      'writes acknowledged': 0,
      'writes lost': 0,
      'max quiesce ms': 0,
    });
    const ok = o.hashesEqual && tools.lostCount(o) === 0 && !o.error;
    row.faults++;
    row.survived += ok ? 1 : 0;
    row['writes acknowledged'] += o.acknowledged;
    row['writes lost'] += tools.lostCount(o);
    row['max quiesce ms'] = Math.max(row['max quiesce ms'], o.quiesceMs);
  }
  const total = Object.values(rows).reduce(
    (sum, r) => ({
      faults: sum.faults + r.faults,
      survived: sum.survived + r.survived,
      'writes acknowledged': sum['writes acknowledged'] + r['writes acknowledged'],
      'writes lost': sum['writes lost'] + r['writes lost'],
      'max quiesce ms': Math.max(sum['max quiesce ms'], r['max quiesce ms']),
    }),
    { faults: 0, survived: 0, 'writes acknowledged': 0, 'writes lost': 0, 'max quiesce ms': 0 },
  );
  rows.total = total;
  console.log(`\nsoak: seed ${seed}, ${outcomes.length} faults in ${Math.round((Date.now() - started) / 1000)} s`);
  console.table(rows);
  const failed = total.survived !== total.faults || total['writes lost'] !== 0;
  console.log(failed ? 'soak: FAILED (see the lines above)' : 'soak: every fault survived, no acknowledged write lost');
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(`soak: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
});
