/**
 * The benchmark scripts `npm run bench` runs still run: a bench that dies before its table (a wrong password, a
 * renamed export) goes unnoticed until someone needs its figures. Tiny sizes; no figure is asserted, only that the
 * table and its ratios are printed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

function runBench(script: string, ...args: string[]): string {
  const run = spawnSync(process.execPath, [join(root, script), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(run.stderr).not.toMatch(/error/i);
  expect(run.status).toBe(0);
  return run.stdout;
}

describe('benchmark scripts', () => {
  it('sync/bench/endToEndLag.js prints the replication lag table and the ratio of p50s', () => {
    const out = runBench('sync/bench/endToEndLag.js', '--writes', '5');
    expect(out).toMatch(/replication lag: readable on node 2 - readable on node 1\s+[\d.]+ ms/);
    expect(out).toMatch(/ratio of p50s, replicated \/ local: [\d.]+x/);
  });

  it.each([
    ['--partition-only', /partition healed after \d+ writes on each side\s.*\s[\d.]+x\s+<= 2x\s+(met|NOT met)/],
    [
      '--fan-out-only',
      /5 nodes: write on one, readable on all four others \(p99\)\s.*\s[\d.]+x\s+<= 1\.5x\s+(met|NOT met)/,
    ],
  ])('replicationBench.js --quick %s ends with the issue 24 goal row, its ratio and verdict', (part, row) => {
    const out = runBench('replication/dist/bench/replicationBench.js', '--quick', part);
    expect(out).toMatch(/issue 24 goals, engine \(NOTIFY poke\) vs the baselines of this run/);
    expect(out).toMatch(row);
    expect(out).toMatch(/met \d of 1 goals measured in this run/);
  });

  it('joinBench.js --rows 2000 prints the join against pg_dump | pg_restore, its ratio and the joiner peak RSS', () => {
    const out = runBench('replication/dist/bench/joinBench.js', '--rows', '2000');
    expect(out).toMatch(/joiner received 2000\)/);
    expect(out).toMatch(/ratio\s+[\d.]+x \(goal <= 1\.5x: (met|NOT met)\)/);
    expect(out).toMatch(/joiner peak RSS\s+\d+ MB \(goal <= 256 MB: (met|NOT met)\)/);
  });

  it('tests/bench/load.js prints the load table and the cross-node session check with its issue 24 verdicts', () => {
    const out = runBench('tests/bench/load.js', '--sessions', '2', '--ops', '2', '--rounds', '1', '--checks', '20');
    expect(out).toMatch(/\| requests\/s \(API\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    expect(out).toMatch(/\| session mean ms \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    expect(out).toMatch(/cross-node session check, p50: [\d.]+x, goal <= 1\.05x: (met|NOT met)/);
    expect(out).toMatch(/cross-node session check, mean: [\d.]+x, goal <= 1\.05x: (met|NOT met)/);
  });

  it('captureModes.js --quick prints writer throughput and latency ratios for triggers and logical decoding', () => {
    const out = runBench('replication/dist/bench/captureModes.js', '--quick');
    expect(out).toMatch(/insert send -> change in Node, p99 ms.*\s[\d.]+x\s+[\d.]+x/);
    expect(out).toMatch(/decoding side, walsender CPU us per row/);
  });
});
