// A scratch copy of the repository for running the docs' commands as a reader would, without touching the
// working tree's own deploy/, .local-cluster/ or .msk/: a fresh folder whose entries are symbolic links to the
// repository's (sources, node_modules, builds), minus the folders those commands write.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY_ROOT } from './docsCommands';

/** What the docs' commands create in the folder they run in; never linked, so a scratch copy starts without them. */
const WRITTEN_BY_COMMANDS = new Set([
  '.git',
  'deploy',
  '.local-cluster',
  '.local-cluster.lock',
  '.msk',
  'test-artifacts',
]);

export interface ScratchRepository {
  readonly dir: string;
  /** Runs one command line with bash in the scratch folder (the test's environment, minus a cluster's variables). */
  run(command: string, options?: { timeoutMs?: number }): { code: number | null; stdout: string; stderr: string };
  remove(): void;
}

export function scratchRepository(label: string): ScratchRepository {
  const dir = mkdtempSync(join(tmpdir(), `msk-docs-${label}-`));
  // Run as root, the local cluster's PostgreSQL runs as the postgres user, which must be able to enter the folder.
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(REPOSITORY_ROOT)) {
    if (!WRITTEN_BY_COMMANDS.has(entry)) symlinkSync(join(REPOSITORY_ROOT, entry), join(dir, entry));
  }
  return {
    dir,
    run(command, options = {}) {
      const result = spawnSync('bash', ['-c', command], {
        cwd: dir,
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 120_000,
        env: { ...process.env, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
      });
      return { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
