/**
 * `npm start` as the docs say it (README's quick start, docs/getting-started.md, docs/local-cluster.md), run in a
 * scratch copy of the repository: it says what it does from its first line, before the TypeScript build has
 * finished; it brings up two nodes; the status commands of docs/local-cluster.md work beside it; and Ctrl-C to its
 * process group (what a terminal sends) stops every process it started and releases its lock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { docsCommands } from '../support/docsCommands';
import { type ForegroundJob, scratchRepositoryPerSuite } from '../support/scratchRepository';
import { processAlive } from '@msk/kit/cluster';

/** Only moves the cluster to its own loopback block, so it never meets another cluster on this machine. */
const SCRATCH_OPTIONS = '-- --address-block 71';
const SUMMARY = /Multi-Server Kit: 2 node\(s\) up in/;

describe('npm start, as the docs say it', () => {
  const scratch = scratchRepositoryPerSuite('start');
  let job: ForegroundJob | undefined;
  const output = () => job?.output() ?? '';

  it('is the same command in the README, getting started and the local cluster page', () => {
    expect(docsCommands('docs/local-cluster.md', 'start')).toEqual(['npm start']);
    expect(docsCommands('docs/getting-started.md', 'start')).toEqual(['npm start']);
    expect(docsCommands('README.md', 'quick-start')).toContain('npm start');
  });

  it('prints its first line before the TypeScript build is done, then every step, and brings up two nodes', async () => {
    const [start] = docsCommands('docs/local-cluster.md', 'start');
    const started = scratch.start(`${start} ${SCRATCH_OPTIONS}`);
    job = started;
    await started.waitFor(SUMMARY, 'the cluster was up');

    const chunkOf = (pattern: RegExp) => started.chunks().findIndex((chunk) => pattern.test(chunk));
    const firstLine = output()
      .split('\n')
      .find((line) => line.trim() !== '' && !line.startsWith('>'));
    expect(firstLine).toMatch(/^\[start\] Multi-Server Kit: starting a local cluster/);
    const first = chunkOf(/\[start\] Multi-Server Kit: starting/);
    const typescriptDone = chunkOf(/\[start\]\s+TypeScript (is up to date|built in)/);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(typescriptDone).toBeGreaterThan(first); // a separate, later write: the first line did not wait for tsc
    const steps = [
      /\[start\] step 1\/2: TypeScript build/,
      /\[start\] step 2\/2: local cluster/,
      /\[cluster\] configuration: /,
      /\[cluster\] node-1: (creating PostgreSQL's data folder|starting PostgreSQL)/,
      /\[cluster\] starting the app on every node/,
      /\[cluster\] starting the sync services/,
      /\[cluster\] entry point http:\/\/127\.0\.71\.1:8080/,
      SUMMARY,
    ].map((step) => ({ step: String(step), at: output().search(step) }));
    expect(steps.filter((step) => step.at < 0)).toEqual([]);
    expect(steps.map((step) => step.at)).toEqual(steps.map((step) => step.at).sort((a, b) => a - b));
    expect(output()).not.toMatch(/^\.+$/m); // progress is words, not dots
  });

  it("answers docs/local-cluster.md's status commands while it runs", () => {
    const [status, doctor] = docsCommands('docs/local-cluster.md', 'status');
    const statusResult = scratch.run(status);
    expect(statusResult.code).toBe(0);
    expect(statusResult.stdout).toMatch(/Peers Connected: 1/);
    const doctorResult = scratch.run(doctor);
    expect({ code: doctorResult.code, stderr: doctorResult.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('stops every process it started on Ctrl-C and releases its lock', async () => {
    const pids = scratch.localClusterPids();
    expect(pids.length).toBeGreaterThanOrEqual(7); // supervisor + PostgreSQL, app and sync of each node
    await (job as ForegroundJob).interrupt();
    expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
    expect(existsSync(join(scratch.dir, '.local-cluster.lock'))).toBe(false);
  });
});
