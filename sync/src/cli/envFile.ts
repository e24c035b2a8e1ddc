/**
 * The environment the sync CLI hands to the env contract: `.env.local` in the working directory (the setup
 * guide's file) or the files given with --env-file, with the process environment taking precedence (as in
 * Next.js). Nothing is written to process.env.
 *
 * Syntax as the kit's `doctor` reads it (the same parser): KEY=value, optional `export `, single or double quotes
 * (syntax, not part of the value), `#` comments; unquoted values keep trailing spaces so the contract can report them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Environment } from '@msk/contract';
import { parseEnvFile } from '@msk/contract/envFile';

export const DEFAULT_ENV_FILE = '.env.local';

export interface EnvFileError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export class EnvFileProblem extends Error {
  override readonly name = 'EnvFileProblem';
  constructor(readonly errors: readonly EnvFileError[]) {
    super(errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
  }
}

/** One file's values, parsed by the same reader `doctor` uses (kit's parseEnvFile). */
export function parseEnvText(text: string, file: string): { values: Map<string, string>; errors: EnvFileError[] } {
  const parsed = parseEnvFile(text);
  return {
    values: new Map(parsed.entries.map((e) => [e.key, e.value])),
    errors: parsed.errors.map((e) => ({ file, line: e.line, message: e.message })),
  };
}

export interface LoadedEnvironment {
  readonly env: Environment;
  /** The files that were read, for messages. */
  readonly files: readonly string[];
}

export function loadEnvironment(input: {
  cwd: string;
  envFiles: readonly string[];
  processEnv: Environment;
}): LoadedEnvironment {
  const explicit = input.envFiles.length > 0;
  const candidates = explicit
    ? input.envFiles.map((f) => path.resolve(input.cwd, f))
    : [path.join(input.cwd, DEFAULT_ENV_FILE)];
  const merged: Record<string, string | undefined> = {};
  const files: string[] = [];
  const errors: EnvFileError[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) {
      if (explicit) errors.push({ file, line: 0, message: 'does not exist' });
      continue;
    }
    const parsed = parseEnvText(readFileSync(file, 'utf8'), file);
    errors.push(...parsed.errors);
    for (const [key, value] of parsed.values) merged[key] = value;
    files.push(file);
  }
  if (errors.length > 0) throw new EnvFileProblem(errors);
  return { env: mergeEnvironment(merged, input.processEnv), files };
}

/** File values first, then the process environment on top (it wins, as in Next.js). */
export function mergeEnvironment(fromFiles: Environment, processEnv: Environment): Environment {
  const merged: Record<string, string | undefined> = { ...fromFiles };
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined) merged[key] = value;
  return merged;
}
