/**
 * The I/O part of `msk systemd`: finds the nodes of a folder written by `init` (node-N.env) and writes each
 * node's units to <out>/node-N/, or only says what it would write (--dry-run).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FILE } from '../doctor/loadServers';
import { parseEnvFile } from '@msk/contract/envFile';
import { SystemdOptionError, type SystemdUnitsProps, systemdUnits } from './systemdUnits';

export type UnitOptions = Omit<SystemdUnitsProps, 'nodeName' | 'nodeIndex'>;

export interface PlannedUnitFile {
  readonly path: string;
  readonly mode: number;
  readonly holds: string;
  readonly text: string;
}

/** Node index → SYNC_NODE_NAME, from the node-N.env files of an init folder. */
export function nodesOfConfigFolder(configDir: string): { index: number; name: string }[] {
  if (!existsSync(configDir))
    throw new SystemdOptionError(
      `--config ${configDir} does not exist: run \`npm run init\` first (it writes deploy/)`,
    );
  const nodes = readdirSync(configDir)
    .map((file) => ({ file, match: NODE_FILE.exec(file) }))
    .filter((entry): entry is { file: string; match: RegExpExecArray } => entry.match !== null)
    .map(({ file, match }) => {
      const entries = parseEnvFile(readFileSync(join(configDir, file), 'utf8')).entries;
      const name = entries.find((e) => e.key === 'SYNC_NODE_NAME')?.value;
      if (!name)
        throw new SystemdOptionError(
          `${join(configDir, file)} has no SYNC_NODE_NAME: write it again with \`npm run init\``,
        );
      return { index: Number(match[1]), name };
    })
    .sort((a, b) => a.index - b.index);
  if (nodes.length === 0)
    throw new SystemdOptionError(
      `--config ${configDir} has no node-N.env files: pass the folder \`npm run init\` wrote`,
    );
  return nodes;
}

export function planSystemdUnits(
  nodes: readonly { index: number; name: string }[],
  outDir: string,
  options: UnitOptions,
): PlannedUnitFile[] {
  return nodes.flatMap((node) =>
    systemdUnits({ ...options, nodeName: node.name, nodeIndex: node.index }).map((unit) => ({
      path: join(outDir, `node-${node.index}`, unit.name),
      mode: 0o644,
      holds: `${unit.name} for ${node.name} (install on server ${node.index})`,
      text: unit.text,
    })),
  );
}

export function writePlannedFiles(files: readonly PlannedUnitFile[]): void {
  for (const file of files) {
    mkdirSync(join(file.path, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(file.path, file.text, { mode: file.mode });
  }
}
