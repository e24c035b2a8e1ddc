/**
 * What every command line of the kit does the same way (clig.dev): `--version`, help that ends with examples,
 * exit code 2 for a usage error (unknown option or command, bad or missing argument) while 1 stays "problems
 * found" (doctor's errors, a service that does not answer). Applied once, after every command is defined, so a
 * command added later gets the same behaviour.
 */
import { type Command, CommanderError } from 'commander';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;

/** Errors a command throws when the person asked for something it cannot do as asked (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CliConventions {
  readonly version: string;
  /** Examples per command name ('' for the program itself): each an example command line, optionally `# what it does`. */
  readonly examples: Readonly<Record<string, readonly string[]>>;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

function examplesText(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

export function applyCliConventions(program: Command, conventions: CliConventions): Command {
  program.version(conventions.version, '-V, --version', 'print the version and exit');
  for (const command of allCommands(program)) {
    command.showHelpAfterError('(add --help for usage and examples)');
    // Commander exits 1 on a usage error; ours is 2. Help and --version stay 0.
    command.exitOverride((error: CommanderError) => {
      process.exit(error.exitCode === 0 ? EXIT_OK : EXIT_USAGE);
    });
    const name = command === program ? '' : command.name();
    const examples = conventions.examples[name];
    if (examples && examples.length > 0) command.addHelpText('after', examplesText(examples));
  }
  return program;
}

export { CommanderError };
