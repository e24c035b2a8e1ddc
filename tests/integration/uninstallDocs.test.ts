/**
 * docs/uninstall.md, the local-cluster part, run as written: `npm run clean` and `npm start -- --clean` stop a
 * running cluster (every process it started ends) and remove .local-cluster and its lock, printing what they remove.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIT_CLI } from '../support/kitCli';
import { docsCommands } from '../support/docsCommands';
import { runDocsBlock } from '../support/docsShell';
import { processAlive } from '@msk/kit/cluster';

const ADDRESS_BLOCK = 79;

/** `npm start` in `cwd` (its default data folder .local-cluster there); resolves the pids once it is ready. */
function startClusterIn(cwd: string): Promise<number[]> {
  const child = spawn(
    process.execPath,
    [KIT_CLI, 'up', '--nodes', '2', '--address-block', String(ADDRESS_BLOCK), '--machine-readable', '--no-build'],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster not ready:\n${output.slice(-3000)}`)), 170_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((l) => l.startsWith('MSK_CLUSTER_READY '));
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line.slice('MSK_CLUSTER_READY '.length)) as {
        supervisorPid: number;
        state: { nodes: Array<{ pids: Record<string, number> }> };
      };
      resolve([ready.supervisorPid, ...ready.state.nodes.flatMap((node) => Object.values(node.pids))]);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cluster exited (${code}) before it was ready:\n${output.slice(-3000)}`));
    });
  });
}

describe('docs/uninstall.md on a real local cluster', () => {
  let work: string;
  let pids: number[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'msk-uninstall-'));
    chmodSync(work, 0o755); // PostgreSQL runs as the postgres user when we are root: it must traverse this folder
  });

  afterAll(() => {
    for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  const blocks: Record<string, () => string[]> = {
    'npm run clean': () => docsCommands('docs/uninstall.md', 'clean-local'),
    'npm start -- --clean': () => docsCommands('docs/uninstall.md', 'clean-start'),
  };

  it.each(Object.keys(blocks))(
    '%s stops the running cluster, removes .local-cluster and its lock, and says so',
    async (name) => {
      expect(blocks[name]!()).toEqual([name]);
      pids = await startClusterIn(work);
      const dataDir = join(work, '.local-cluster');
      expect(pids.length).toBe(7); // supervisor + 2 × (app, sync, postgres)
      expect(existsSync(join(dataDir, 'config', 'shared.env'))).toBe(true);
      expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(pids[0]));

      const run = await runDocsBlock(blocks[name]!(), work);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toContain(
        `[clean] stopping the local cluster running from ${dataDir} (supervisor pid ${pids[0]})`,
      );
      expect(run.stdout).toContain(`[clean] removing ${dataDir} (the local cluster`);
      expect(pids.filter((pid) => processAlive(pid))).toEqual([]);
      expect(existsSync(dataDir)).toBe(false);
      expect(existsSync(`${dataDir}.lock`)).toBe(false);

      const again = await runDocsBlock(blocks[name]!(), work);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`nothing to remove: ${dataDir} does not exist`);
    },
  );
});
