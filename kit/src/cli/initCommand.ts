/** What `msk init` does with its options: write (or, with --dry-run, only show) the configuration, and units with --systemd. */
import { join } from 'node:path';
import { initJson, renderDryRun } from '../init/initReport';
import {
  planConfiguration,
  renderInitSummary,
  type WriteOptions,
  writeConfiguration,
} from '../init/writeConfiguration';
import { writePlannedFiles } from '../systemd';
import { renderUnitsWritten, SYSTEMD_SUBDIR, systemdUnitFiles, unitOptionsFrom } from './systemdCommand';

export interface InitCommandOptions {
  readonly dryRun?: boolean;
  readonly json?: boolean;
  /** Also write systemd units to <out>/systemd/node-N/. */
  readonly systemd?: boolean;
}

export function runInit(write: WriteOptions, options: InitCommandOptions): void {
  const systemdDir = join(write.outDir, SYSTEMD_SUBDIR);
  const unitsFor = (nodes: readonly { index: number; name: string }[]) =>
    options.systemd ? systemdUnitFiles(nodes, systemdDir, unitOptionsFrom({})) : [];
  if (options.dryRun) {
    const plan = planConfiguration(write);
    const units = unitsFor(plan.configuration.nodes);
    const files = [...plan.files, ...units];
    process.stdout.write(
      `${options.json ? JSON.stringify(initJson({ ...plan, files }, true), null, 2) : renderDryRun(files)}\n`,
    );
    return;
  }
  const result = writeConfiguration(write);
  const units = unitsFor(result.configuration.nodes);
  writePlannedFiles(units);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(initJson({ ...result, files: [...result.files, ...units] }, false), null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(`${renderInitSummary(result)}\n`);
  if (units.length > 0) process.stdout.write(`\n${renderUnitsWritten(units, systemdDir)}\n`);
}
