/**
 * How `init` reports for machines (--json) and what a dry run shows: never a secret, only its fingerprint.
 */
import { displayValue, fingerprint, variable, VARIABLES } from '@msk/contract';
import { parseEnvFile } from '@msk/contract/envFile';
import type { EnvValues, GeneratedConfiguration } from './generateConfiguration';
import { POSTGRES_SUPERUSER_PASSWORD_FILE } from './writeConfiguration';

export interface InitReportInput {
  readonly outDir: string;
  readonly files: readonly { path: string; mode: number; holds: string }[];
  readonly configuration: GeneratedConfiguration;
  readonly keptSecrets: boolean;
  readonly notIgnoredByGit?: boolean;
}

const isContractSecret = (key: string) => VARIABLES.some((v) => v.name === key && v.secret);
const get = (values: EnvValues, key: string) => values.find(([k]) => k === key)?.[1] ?? '';

/** The --json document of `init`: files, nodes, shared settings, and secrets as fingerprints. */
export function initJson(input: InitReportInput, dryRun: boolean): Record<string, unknown> {
  const { configuration } = input;
  return {
    dryRun,
    written: !dryRun,
    outDir: input.outDir,
    keptSecrets: input.keptSecrets,
    files: input.files.map((f) => ({ path: f.path, mode: f.mode.toString(8).padStart(4, '0'), holds: f.holds })),
    secrets: Object.fromEntries(configuration.secrets.map(([key, value]) => [key, displayValue(variable(key), value)])),
    shared: Object.fromEntries(configuration.shared),
    nodes: configuration.nodes.map((node) => ({
      index: node.index,
      name: node.name,
      id: get(node.values, 'SYNC_NODE_ID'),
      ...(get(node.values, 'SYNC_PEERS') ? { peers: get(node.values, 'SYNC_PEERS').split(',') } : {}),
    })),
    ...(input.notIgnoredByGit
      ? { warnings: [`${input.outDir}/ is inside a git work tree and NOT ignored: add it to .gitignore`] }
      : {}),
  };
}

/** A planned file's text as a dry run shows it: env files with secrets replaced by fingerprints, manifests of secrets not at all. */
export function maskedText(path: string, text: string): string {
  if (path.endsWith('.yaml')) return '(a Kubernetes Secret with the secrets above; not shown)\n';
  if (path.endsWith(`/${POSTGRES_SUPERUSER_PASSWORD_FILE}`))
    return `(the password, ${fingerprint(text.trim())}; not shown)\n`;
  if (!path.endsWith('.env')) return text;
  return text
    .split('\n')
    .map((line) => {
      const entry = parseEnvFile(`${line}\n`).entries[0];
      if (!entry || !isContractSecret(entry.key)) return line;
      return `${entry.key}=${displayValue(variable(entry.key), entry.value)}   # secret: fingerprint shown`;
    })
    .join('\n');
}

export function renderDryRun(files: readonly { path: string; mode: number; holds: string; text: string }[]): string {
  const out = [`Dry run: nothing was written. Would write ${files.length} file(s):`, ''];
  for (const file of files) {
    out.push(`--- ${file.path}  (mode ${file.mode.toString(8).padStart(4, '0')})  ${file.holds}`);
    out.push(maskedText(file.path, file.text).trimEnd(), '');
  }
  return out.join('\n');
}
