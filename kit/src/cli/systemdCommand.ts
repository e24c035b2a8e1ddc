/**
 * `msk systemd`: systemd units for servers that run the app and the sync service without containers (one node
 * per server), from the node files `init` wrote. `init --systemd` writes the same units beside its files.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../cliConventions';
import {
  DEFAULT_ENV_DIR,
  DEFAULT_INSTALL_DIR,
  DEFAULT_NODE_BINARY,
  DEFAULT_SERVICE_USER,
  type PlannedUnitFile,
  SystemdOptionError,
  type UnitOptions,
  nodesOfConfigFolder,
  planSystemdUnits,
  writePlannedFiles,
} from '../systemd';
import { DEFAULT_OUT_DIR } from '../init/writeConfiguration';
import { renderDryRun } from '../init/initReport';

export const SYSTEMD_SUBDIR = 'systemd';

export function unitOptionsFrom(options: {
  installDir?: string;
  envDir?: string;
  user?: string;
  node?: string;
}): UnitOptions {
  return {
    ...(options.installDir ? { installDir: options.installDir } : {}),
    ...(options.envDir ? { envDir: options.envDir } : {}),
    ...(options.user ? { user: options.user } : {}),
    ...(options.node ? { nodeBinary: options.node } : {}),
  };
}

export function renderUnitsWritten(files: readonly PlannedUnitFile[], outDir: string): string {
  return [
    `Wrote ${files.length} systemd unit(s) to ${outDir}/ (one folder per node):`,
    ...files.map((f) => `  ${f.path}  ${f.holds}`),
    '',
    `Check: systemd-analyze verify ${join(outDir, 'node-1')}/*.service`,
    'Install on each server: docs/servers-without-docker.md',
  ].join('\n');
}

/** Plans (and unless dry) writes the units; errors in the options become usage errors. */
export function systemdUnitFiles(
  nodes: readonly { index: number; name: string }[],
  outDir: string,
  options: UnitOptions,
): PlannedUnitFile[] {
  try {
    return planSystemdUnits(nodes, outDir, options);
  } catch (error) {
    if (error instanceof SystemdOptionError) throw new UsageError(error.message);
    throw error;
  }
}

export function addSystemdOptions(command: Command): Command {
  return command
    .option('--install-dir <dir>', 'where the built kit is on the servers', DEFAULT_INSTALL_DIR)
    .option('--env-dir <dir>', 'where shared.env and node-N.env are on the servers', DEFAULT_ENV_DIR)
    .option('--user <name>', 'the unprivileged user the services run as', DEFAULT_SERVICE_USER)
    .option('--node <path>', 'the Node.js binary on the servers', DEFAULT_NODE_BINARY);
}

export function registerSystemdCommand(program: Command): void {
  addSystemdOptions(
    program
      .command('systemd')
      .description('write systemd units (app + sync service) for each node of a folder written by init')
      .option('--config <dir>', 'the folder init wrote (node-N.env files)', DEFAULT_OUT_DIR)
      .option('--out <dir>', 'where to write the units (default: <config>/systemd)'),
  )
    .option('--dry-run', 'print the units, write nothing')
    .option('--json', 'machine-readable output')
    .action(
      (options: {
        config: string;
        out?: string;
        dryRun?: boolean;
        json?: boolean;
        installDir?: string;
        envDir?: string;
        user?: string;
        node?: string;
      }) => {
        let nodes: { index: number; name: string }[];
        try {
          nodes = nodesOfConfigFolder(options.config);
        } catch (error) {
          if (error instanceof SystemdOptionError) throw new UsageError(error.message);
          throw error;
        }
        const outDir = options.out ?? join(options.config, SYSTEMD_SUBDIR);
        const files = systemdUnitFiles(nodes, outDir, unitOptionsFrom(options));
        if (!options.dryRun) writePlannedFiles(files);
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ dryRun: Boolean(options.dryRun), written: !options.dryRun, outDir, units: files.map((f) => ({ path: f.path, holds: f.holds })) }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(`${options.dryRun ? renderDryRun(files) : renderUnitsWritten(files, outDir)}\n`);
        }
      },
    );
}
