/**
 * Turns doctor's arguments into server environments. A file is one server's whole environment (like the
 * guide's `.env.local`). A folder written by `init` (shared.env + node-N.env) is one server per node file,
 * each read as shared.env followed by its node file.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvFile } from '@msk/contract/envFile';
import type { ServerEnvironment } from './diagnose';

export const SHARED_FILE = 'shared.env';
export const NODE_FILE = /^node-(\d+)\.env$/;

function readServerFile(path: string, label = path): ServerEnvironment {
  const parsed = parseEnvFile(readFileSync(path, 'utf8'));
  return { label, entries: parsed.entries, syntaxErrors: parsed.errors };
}

function readInitFolder(folder: string): ServerEnvironment[] {
  const sharedPath = join(folder, SHARED_FILE);
  const nodeFiles = readdirSync(folder)
    .filter((name) => NODE_FILE.test(name))
    .sort((a, b) => Number(NODE_FILE.exec(a)?.[1]) - Number(NODE_FILE.exec(b)?.[1]));
  if (nodeFiles.length === 0) {
    throw new Error(
      `${folder} has no node-N.env files: pass each server's env file, or a folder written by \`npm run init\``,
    );
  }
  const shared = existsSync(sharedPath) ? readServerFile(sharedPath) : undefined;
  return nodeFiles.map((name) => {
    const node = readServerFile(join(folder, name));
    return {
      label: join(folder, name),
      // shared.env first, the node file second: the node file wins, as when they are concatenated.
      entries: [...(shared?.entries ?? []).map((e) => ({ ...e })), ...node.entries],
      syntaxErrors: [...(shared?.syntaxErrors ?? []), ...node.syntaxErrors],
    };
  });
}

export function loadServers(paths: readonly string[]): ServerEnvironment[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) throw new Error(`${path} does not exist`);
    return statSync(path).isDirectory() ? readInitFolder(path) : [readServerFile(path)];
  });
}
