// Runs a docs page's marked shell block the way a reader would, with one documented substitution: `npm run X --`
// and `npm start --` become the compiled CLI (`node kit/dist/cli/main.js X` / `… up`): the same program without
// npm's TypeScript build step, so a test never rebuilds under other tests' feet. Callers pass the block as
// `docsCommands('<page>', '<id>')` (literally: the docs checker finds the blocks a test runs that way).
import { KIT_CLI, type CliRun, runCommand } from './kitCli';

export function withCompiledCli(command: string): string {
  return command
    .replace(/\bnpm run (backup|restore|clean) --(?=\s)/g, `node ${KIT_CLI} $1`)
    .replace(/\bnpm run (backup|restore|clean)\b/g, `node ${KIT_CLI} $1`)
    .replace(/\bnpm start --(?=\s)/g, `node ${KIT_CLI} up`);
}

/** Runs a block's commands in one bash (stopping at the first failure) in `cwd`. */
export function runDocsBlock(commands: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const script = ['set -euo pipefail', ...commands.map(withCompiledCli)].join('\n');
  return runCommand('bash', ['-c', script], env, cwd);
}
