/**
 * The benchmark scripts `npm run bench` runs still run: a bench that dies before its table (a wrong password, a
 * renamed export) goes unnoticed until someone needs its figures. Tiny sizes; no figure is asserted, only that the
 * table and its ratio are printed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

describe('benchmark scripts', () => {
  it('sync/bench/endToEndLag.js prints the replication lag table and the ratio of p50s', () => {
    const run = spawnSync(process.execPath, [join(root, 'sync/bench/endToEndLag.js'), '--writes', '5'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/replication lag: readable on node 2 - readable on node 1\s+[\d.]+ ms/);
    expect(run.stdout).toMatch(/ratio of p50s, replicated \/ local: [\d.]+x/);
  });
});
