/**
 * A docs page's commands run as a reader runs them: in a folder that looks like this checkout (its entries link
 * here) with its own compose/ and no deploy/, so the real checkout's deploy/ and compose/.env are never touched.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './containerSettings';

export interface SandboxCheckout {
  readonly dir: string;
  remove(): void;
}

export function sandboxCheckout(): SandboxCheckout {
  const dir = mkdtempSync(join(tmpdir(), 'msk-compose-docs-'));
  for (const entry of readdirSync(REPO_ROOT)) {
    if (['compose', 'deploy', '.git'].includes(entry)) continue;
    symlinkSync(join(REPO_ROOT, entry), join(dir, entry));
  }
  cpSync(join(REPO_ROOT, 'compose'), join(dir, 'compose'), {
    recursive: true,
    filter: (source) => !source.endsWith(`compose/.env`),
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A block's commands in one bash (-e, pipefail), with only PATH, HOME and `env` in its environment. */
export function runBlock(
  commands: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): { status: number; output: string } {
  const result = spawnSync('bash', ['--norc', '--noprofile', '-eo', 'pipefail', '-c', commands.join('\n')], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}
