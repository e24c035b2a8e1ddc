/**
 * `npm run synth`: writes the plain manifests (kubernetes/) and the Helm chart (charts/multi-server-kit/) from
 * platform.config.ts. `--out <dir>` writes them under another folder (the drift test uses a temporary one).
 * The generated folders are replaced entirely, so a file the synth no longer produces does not linger — except the
 * chart's `files/` (Prometheus rules, Grafana dashboard), which are written by hand and only read by the templates.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PlatformConfigError, resolvePlatformConfig } from './platformConfigSchema';
import { platformConfig } from './platform.config';
import { CHART_DIR, CHART_FILES_DIR, MANIFESTS_DIR, synthesizeFiles } from './synthOutputs';

export const REPOSITORY_ROOT = resolve(__dirname, '..', '..');

export function writeSynthOutputs(outDir: string): string[] {
  const files = synthesizeFiles(resolvePlatformConfig(platformConfig));
  rmSync(join(outDir, MANIFESTS_DIR), { recursive: true, force: true });
  removeAllBut(join(outDir, CHART_DIR), CHART_FILES_DIR.slice(CHART_DIR.length + 1));
  for (const [path, text] of files) {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), text);
  }
  return [...files.keys()];
}

function removeAllBut(dir: string, keep: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) if (entry !== keep) rmSync(join(dir, entry), { recursive: true, force: true });
}

function parseOutDir(args: readonly string[]): string {
  if (args.length === 0) return REPOSITORY_ROOT;
  if (args.length === 2 && args[0] === '--out' && args[1]) return resolve(args[1]);
  throw new Error(`usage: synth [--out <dir>] (got: ${args.join(' ')})`);
}

if (require.main === module) {
  try {
    const outDir = parseOutDir(process.argv.slice(2));
    const written = writeSynthOutputs(outDir);
    process.stdout.write(
      `wrote ${written.length} files under ${outDir}:\n${written.map((f) => `  ${f}`).join('\n')}\n`,
    );
  } catch (error) {
    process.stderr.write(
      `${error instanceof PlatformConfigError || error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
