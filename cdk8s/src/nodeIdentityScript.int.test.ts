import { spawnSync } from 'node:child_process';
import { deriveNodeId } from '@msk/contract';
import { resolvePlatformConfig } from './platformConfigSchema';
import { containerOf, envOf } from './manifestQueries';
import { platformConfig } from './platform.config';
import { synthesizeObjects } from './synthOutputs';

const objects = synthesizeObjects(resolvePlatformConfig(platformConfig));
const seed = envOf(objects, 'sync', 'MSK_NODE_ID_SEED').value as string;
/** `sh -c <script> <name>` exactly as the synthesized sync container starts. */
const entry = (containerOf(objects, 'sync').command as string[]).slice(0, 4);

/** Runs the synthesized entry script with a pod's environment; the "real command" prints what it received. */
function runEntry(
  env: Record<string, string>,
  command: string[] = [
    process.execPath,
    '-e',
    'process.stdout.write(JSON.stringify({ id: process.env.SYNC_NODE_ID, pid: process.pid, args: process.argv.slice(1) }))',
  ],
) {
  const [shell, ...args] = entry as [string, ...string[]];
  const result = spawnSync(shell, [...args, ...command], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MSK_NODE_ID_SEED: seed, ...env },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return {
    status: result.status,
    stderr: result.stderr,
    output: result.status === 0 ? JSON.parse(result.stdout) : undefined,
    pid: result.pid,
  };
}

describe('the node identity entry script (run by /bin/sh, as in the Debian-based images)', () => {
  it('sets SYNC_NODE_ID = deriveNodeId(namespace/name, pod-index label)', () => {
    const run = runEntry({ MSK_POD_INDEX: '3', SYNC_NODE_NAME: 'multi-server-kit-3' });
    expect(run.stderr).toBe('');
    expect(run.output.id).toBe(deriveNodeId('multi-server-kit/multi-server-kit', 3));
  });

  it('prefers the pod-index label over the pod name', () => {
    expect(runEntry({ MSK_POD_INDEX: '4', SYNC_NODE_NAME: 'renamed-9' }).output.id).toBe(deriveNodeId(seed, 4));
  });

  it('falls back to the number at the end of the pod name when the label is empty (Kubernetes < 1.28)', () => {
    expect(runEntry({ MSK_POD_INDEX: '', SYNC_NODE_NAME: 'multi-server-kit-12' }).output.id).toBe(
      deriveNodeId(seed, 12),
    );
  });

  it('gives every ordinal its own ID and the same ordinal the same ID on every start', () => {
    const ids = [0, 1, 2, 3, 4].map(
      (ordinal) => runEntry({ MSK_POD_INDEX: String(ordinal), SYNC_NODE_NAME: `x-${ordinal}` }).output.id,
    );
    expect(new Set(ids).size).toBe(5);
    expect(runEntry({ MSK_POD_INDEX: '2', SYNC_NODE_NAME: 'x-2' }).output.id).toBe(ids[2]);
  });

  it('refuses to start without an ordinal, naming the label and the pod name', () => {
    const run = runEntry({ MSK_POD_INDEX: '', SYNC_NODE_NAME: 'no-ordinal-here' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "msk-node-identity: no pod ordinal: label apps.kubernetes.io/pod-index is empty and pod name 'no-ordinal-here' does not end in -<number>",
    );
  });

  it('execs the real command in its own process (signals reach it) with its arguments unchanged', () => {
    const run = runEntry({ MSK_POD_INDEX: '0', SYNC_NODE_NAME: 'x-0' }, [
      process.execPath,
      '-e',
      'process.stdout.write(JSON.stringify({ id: process.env.SYNC_NODE_ID, pid: process.pid, args: process.argv.slice(1) }))',
      'an argument with spaces',
      '$HOME',
    ]);
    expect(run.output.pid).toBe(run.pid);
    expect(run.output.args).toEqual(['an argument with spaces', '$HOME']);
  });
});
