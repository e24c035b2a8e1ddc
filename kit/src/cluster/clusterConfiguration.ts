/**
 * The local cluster's configuration folder: the secrets and node identities (npm run init's files: generated once,
 * then kept), the database topology, the password of every node's PostgreSQL superuser and the first admin.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseTopology } from '@msk/contract';
import { formatEnvFile } from '@msk/contract/envFile';
import { generateNodeId } from '../init/generateConfiguration';
import { writeConfiguration } from '../init/writeConfiguration';
import { type ClusterLayout, syncAddress } from './clusterLayout';
import { LOCAL_SUPERUSER_FILE, readEnvFile } from './clusterNodeEnvironment';

const ADMIN_FILE = 'admin.env';

export interface ClusterConfigurationProps {
  readonly layout: ClusterLayout;
  /** --database; @default what shared.env says, else per-node */
  readonly database?: DatabaseTopology;
  /** The first admin when none is saved yet. @default admin@example.com with a generated password */
  readonly adminEmail?: string;
  readonly adminPassword?: string;
  readonly progress: (line: string) => void;
}

export interface ClusterConfiguration {
  readonly database: DatabaseTopology;
  readonly superuserPassword: string;
  readonly admin: { email: string; password: string };
  /** This start made the admin (npm start shows its password once). */
  readonly adminCreatedNow: boolean;
}

/** Generates what the configuration folder lacks and reads the rest. */
export function ensureClusterConfiguration(props: ClusterConfigurationProps): ClusterConfiguration {
  const { configDir, nodes, entryHost, entryPort } = props.layout;
  const progress = props.progress;
  const sharedPath = join(configDir, 'shared.env');
  if (!existsSync(sharedPath)) {
    progress(`configuration: generating secrets and node identities in ${configDir} (npm run init)`);
    writeConfiguration({
      outDir: configDir,
      nodes: nodes.length,
      publicUrl: `http://${entryHost}:${entryPort}`,
      peers: nodes.map(syncAddress),
      namePrefix: 'node',
    });
  } else {
    progress(`configuration: keeping the secrets in ${configDir}`);
  }
  for (const node of nodes) {
    const path = join(configDir, `node-${node.index}.env`);
    if (existsSync(path)) continue;
    writeFileSync(
      path,
      formatEnvFile(
        [`UNIQUE to ${node.name}: added by npm start.`],
        [
          ['SYNC_NODE_ID', generateNodeId()],
          ['SYNC_NODE_NAME', node.name],
        ],
      ),
      { mode: 0o600 },
    );
  }
  addMissingSecrets(sharedPath);
  const database = chooseDatabaseTopology(sharedPath, props.database, progress);
  const superuserPath = join(configDir, LOCAL_SUPERUSER_FILE);
  if (!existsSync(superuserPath)) {
    writeFileSync(
      superuserPath,
      formatEnvFile(
        ["Superuser of every node's PostgreSQL: only npm start uses it, to set up the roles msk_app and msk_sync."],
        [['POSTGRES_PASSWORD', randomBytes(24).toString('hex')]],
      ),
      { mode: 0o600 },
    );
  }
  const superuserPassword = readEnvFile(superuserPath).POSTGRES_PASSWORD ?? '';
  return { database, superuserPassword, ...ensureFirstAdmin(configDir, props) };
}

/** The saved first admin, else the one npm start was given (or one with a generated password), saved for next time. */
function ensureFirstAdmin(
  configDir: string,
  given: Pick<ClusterConfigurationProps, 'adminEmail' | 'adminPassword'>,
): Pick<ClusterConfiguration, 'admin' | 'adminCreatedNow'> {
  const adminPath = join(configDir, ADMIN_FILE);
  if (existsSync(adminPath)) {
    const saved = readEnvFile(adminPath);
    return { admin: { email: saved.ADMIN_EMAIL ?? '', password: saved.ADMIN_PASSWORD ?? '' }, adminCreatedNow: false };
  }
  const admin = {
    email: given.adminEmail || 'admin@example.com',
    password: given.adminPassword || randomBytes(12).toString('base64url'),
  };
  writeFileSync(
    adminPath,
    formatEnvFile(
      ['The first admin of this local cluster (shown once by npm start).'],
      [
        ['ADMIN_EMAIL', admin.email],
        ['ADMIN_PASSWORD', admin.password],
      ],
    ),
    { mode: 0o600 },
  );
  return { admin, adminCreatedNow: true };
}

/** A cluster made by an earlier release has no SYNC_DATABASE_PASSWORD: add one, keeping every other secret. */
function addMissingSecrets(sharedPath: string): void {
  const shared = readEnvFile(sharedPath);
  if (shared.SYNC_DATABASE_PASSWORD) return;
  appendFileSync(
    sharedPath,
    formatEnvFile(
      ["Added by npm start: the sync service's own database role."],
      [['SYNC_DATABASE_PASSWORD', randomBytes(24).toString('hex')]],
    ),
  );
}

/** --database, else what shared.env says, else per-node; a change is written to shared.env. */
function chooseDatabaseTopology(
  sharedPath: string,
  wanted: DatabaseTopology | undefined,
  progress: (line: string) => void,
): DatabaseTopology {
  const saved = readEnvFile(sharedPath).DATABASE_TOPOLOGY;
  const chosen = wanted ?? (saved === 'shared' ? 'shared' : 'per-node');
  if (saved !== chosen) {
    const kept = readFileSync(sharedPath, 'utf8')
      .split('\n')
      .filter((line) => !/^DATABASE_TOPOLOGY=/.test(line))
      .join('\n');
    writeFileSync(
      sharedPath,
      `${kept.replace(/\n*$/, '\n')}${formatEnvFile(['Added by npm start --database: SAME on every node.'], [['DATABASE_TOPOLOGY', chosen]])}`,
      { mode: 0o600 },
    );
    if (saved !== undefined) progress(`database: ${saved} → ${chosen} (DATABASE_TOPOLOGY in ${sharedPath})`);
  }
  return chosen;
}
