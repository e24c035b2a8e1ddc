/**
 * The I/O part of `init`: writes shared.env (mode 0600), node-N.env, kubernetes-secret.yaml and
 * postgres-superuser-password (the compose files' `secrets:` source for POSTGRES_PASSWORD_FILE), refusing to
 * replace existing secrets unless forced, or keeping them when asked (the local cluster re-runs init).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VARIABLES_BY_NAME, displayValue, fingerprint, variable } from '@msk/contract';
import { SHARED_FILE } from '../doctor/loadServers';
import { formatEnvFile, parseEnvFile } from '@msk/contract/envFile';
import {
  type EnvValues,
  type GeneratedConfiguration,
  type InitOptions,
  generateConfiguration,
  generateSecrets,
} from './generateConfiguration';
import { DEFAULT_SECRET_NAME, kubernetesSecretManifest } from './kubernetesSecret';

export const DEFAULT_OUT_DIR = 'deploy';
/**
 * The PostgreSQL superuser's password, one line, for compose's `secrets:` (POSTGRES_PASSWORD_FILE). Nothing connects
 * with it: the app and the sync service have their own roles and the superuser gets in over the socket (peer).
 */
export const POSTGRES_SUPERUSER_PASSWORD_FILE = 'postgres-superuser-password';

export interface WriteOptions extends InitOptions {
  readonly outDir: string;
  /** Replace existing secrets (logs every user out, disconnects every peer). */
  readonly force?: boolean;
  /** Re-use the secrets of an existing shared.env instead of refusing. */
  readonly keepSecrets?: boolean;
  readonly secretName?: string;
}

export interface WrittenConfiguration {
  readonly outDir: string;
  readonly files: ReadonlyArray<{ path: string; mode: number; holds: string }>;
  readonly configuration: GeneratedConfiguration;
  readonly keptSecrets: boolean;
  readonly notIgnoredByGit: boolean;
}

export class ExistingSecretsError extends Error {}

const SECRET_KEYS = [
  'NEXTAUTH_SECRET',
  'SYNC_REGISTRATION_KEY',
  'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
  'DATABASE_PASSWORD',
  'SYNC_DATABASE_PASSWORD',
];

function existingSecrets(path: string): EnvValues | undefined {
  if (!existsSync(path)) return undefined;
  const entries = parseEnvFile(readFileSync(path, 'utf8')).entries;
  // a file written for Auth.js v5 names the secret AUTH_SECRET: kept, under the contract's name
  const valueOf = (key: string) =>
    [key, ...(VARIABLES_BY_NAME.get(key)?.aliases ?? [])]
      .map((name) => entries.findLast((e) => e.key === name)?.value)
      .find((v) => v !== undefined);
  const values = SECRET_KEYS.map((key) => [key, valueOf(key) ?? ''] as const);
  return values.some(([, v]) => v !== '') ? values : undefined;
}

function insideGitButNotIgnored(path: string): boolean {
  try {
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: resolve(path, '..'), stdio: 'ignore' });
  } catch {
    return false;
  }
  try {
    execFileSync('git', ['check-ignore', '-q', resolve(path)], { cwd: resolve(path, '..'), stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

function writeFile(path: string, text: string, mode: number): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode); // writeFileSync keeps the mode of an existing file
}

export interface PlannedFile {
  readonly path: string;
  readonly mode: number;
  readonly holds: string;
  readonly text: string;
}

export interface PlannedConfiguration {
  readonly outDir: string;
  readonly files: readonly PlannedFile[];
  readonly configuration: GeneratedConfiguration;
  readonly keptSecrets: boolean;
}

/** What `init` would write, without writing anything (refuses existing secrets exactly as writing would). */
export function planConfiguration(options: WriteOptions): PlannedConfiguration {
  const outDir = options.outDir;
  const sharedPath = join(outDir, SHARED_FILE);
  const previous = existingSecrets(sharedPath);
  if (previous && !options.force && !options.keepSecrets) {
    const nextauth = previous.find(([k]) => k === 'NEXTAUTH_SECRET')?.[1];
    throw new ExistingSecretsError(
      `${sharedPath} already holds this cluster's secrets (NEXTAUTH_SECRET ${nextauth ? fingerprint(nextauth) : 'unset'}). ` +
        'New secrets would log every user out and disconnect every peer until all nodes have them. ' +
        'Use --keep-secrets to write node files with the existing secrets, or --force to replace them.',
    );
  }
  const keptSecrets = Boolean(previous && options.keepSecrets && !options.force);
  // Keeping: a secret an earlier release did not make (SYNC_DATABASE_PASSWORD) is added, fresh.
  const fresh = generateSecrets();
  const secrets =
    keptSecrets && previous
      ? fresh.map(([key, value]) => [key, previous.find(([k]) => k === key)?.[1] || value] as const)
      : fresh;
  const configuration = generateConfiguration(options, secrets);

  const files: PlannedFile[] = [];
  const header = (what: string) => [
    `Generated by \`npm run init\` on ${new Date().toISOString()}.`,
    what,
    `Check with: npm run doctor -- ${outDir}/`,
    '',
  ];
  files.push({
    path: sharedPath,
    mode: 0o600,
    holds: 'secrets and settings, the SAME on every node',
    text: formatEnvFile(header('SAME on every node. Holds the secrets: mode 0600, never commit it.'), [
      ...configuration.secrets,
      ...configuration.shared,
    ]),
  });
  for (const node of configuration.nodes) {
    files.push({
      path: join(outDir, `node-${node.index}.env`),
      mode: 0o600,
      holds: `identity of ${node.name}`,
      text: formatEnvFile(header(`UNIQUE to ${node.name}: use with ${SHARED_FILE}.`), node.values),
    });
  }
  const superuserPath = join(outDir, POSTGRES_SUPERUSER_PASSWORD_FILE);
  // Kept with the other secrets: the data directory was initialised with it.
  const keptSuperuser = keptSecrets && existsSync(superuserPath) ? readFileSync(superuserPath, 'utf8') : undefined;
  files.push({
    path: superuserPath,
    mode: 0o600,
    holds: 'PostgreSQL superuser password (compose secret)',
    text:
      keptSuperuser ??
      `${randomBytes(24).toString('hex')}
`,
  });
  const secretName = options.secretName ?? DEFAULT_SECRET_NAME;
  files.push({
    path: join(outDir, 'kubernetes-secret.yaml'),
    mode: 0o600,
    holds: `Kubernetes Secret ${secretName}`,
    text: kubernetesSecretManifest(configuration.secrets, secretName),
  });
  return { outDir, files, configuration, keptSecrets };
}

export function writeConfiguration(options: WriteOptions): WrittenConfiguration {
  const plan = planConfiguration(options);
  mkdirSync(plan.outDir, { recursive: true, mode: 0o700 });
  for (const file of plan.files) writeFile(file.path, file.text, file.mode);
  return {
    outDir: plan.outDir,
    files: plan.files.map(({ path, mode, holds }) => ({ path, mode, holds })),
    configuration: plan.configuration,
    keptSecrets: plan.keptSecrets,
    notIgnoredByGit: insideGitButNotIgnored(join(plan.outDir, SHARED_FILE)),
  };
}

export function renderInitSummary(result: WrittenConfiguration): string {
  const { configuration } = result;
  const get = (values: EnvValues, key: string) => values.find(([k]) => k === key)?.[1] ?? '';
  const lines = [
    `${result.keptSecrets ? 'Kept the existing secrets and wrote' : 'Wrote'} the configuration of ${configuration.nodes.length} node(s) to ${result.outDir}/`,
    '',
    'SAME on every node (shared.env):',
    // displayValue: a kept DATABASE_PASSWORD may be one a person chose, shown only as a keyed fingerprint.
    ...configuration.secrets.map(
      ([key, value]) => `  ${key.padEnd(36)} ${displayValue(variable(key), value)}  (secret: fingerprint shown)`,
    ),
    ...configuration.shared.map(([key, value]) => `  ${key.padEnd(36)} ${value}`),
    '',
    'UNIQUE to each node (node-N.env):',
    ...configuration.nodes.map(
      (node) =>
        `  node-${node.index}.env  SYNC_NODE_NAME=${node.name}  SYNC_NODE_ID=${get(node.values, 'SYNC_NODE_ID')}` +
        (get(node.values, 'SYNC_PEERS') ? `  SYNC_PEERS=${get(node.values, 'SYNC_PEERS')}` : ''),
    ),
    '',
    'Files:',
    ...result.files.map((f) => `  ${f.path}  (mode ${f.mode.toString(8)})  ${f.holds}`),
    '',
    'Next: on server N, use shared.env + node-N.env as its environment, e.g.',
    `  cat ${result.outDir}/shared.env ${result.outDir}/node-1.env > .env.local`,
    `Check them with: npm run doctor -- ${result.outDir}/`,
    'Never commit these files: they hold the secrets.',
  ];
  if (result.notIgnoredByGit) {
    lines.push(
      '',
      `WARNING: ${result.outDir}/ is inside a git work tree and NOT ignored: add it to .gitignore before committing anything.`,
    );
  }
  return lines.join('\n');
}
