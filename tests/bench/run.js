// `npm run bench`: every benchmark of the project, one after another. Each prints a table of ratios measured side
// by side in the same run against its baseline; none asserts a time.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..', '..');
const benches = [
  ['sync: start to all peers connected (2 and 5 nodes)', ['sync/bench/peersConnected.js']],
  ['app: load on 1 node vs 2 nodes behind the entry point, cross-node session check', ['tests/bench/load.js']],
  ['sync: replication lag through the service (2 nodes)', ['sync/bench/endToEndLag.js']],
  [
    'database topology: N app nodes on one shared PostgreSQL vs a PostgreSQL each (2 and 3 nodes)',
    ['tests/bench/topology.js'],
  ],
  [
    'replication engine vs PostgreSQL native logical replication (lag, sustained apply, capture overhead), partition heal, 5-node fan-out, issue 24 goals',
    ['replication/dist/bench/replicationBench.js'],
  ],
  [
    'capture: triggers and NOTIFY vs logical decoding (pgoutput) vs no capture, on the writers',
    ['replication/dist/bench/captureModes.js'],
  ],
  ['replication: a new node joining 1,000,000 rows vs pg_dump | pg_restore', ['replication/dist/bench/joinBench.js']],
];

let failed = 0;
for (const [title, args] of benches) {
  process.stdout.write(`\n### ${title}\n`);
  const result = spawnSync(
    process.execPath,
    args.map((a, i) => (i === 0 ? join(root, a) : a)),
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
