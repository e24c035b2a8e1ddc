/**
 * What a node tells its peers about its `shared` configuration: a keyed fingerprint of every shared variable of
 * the env contract (HMAC with a key derived from the registration key, so only cluster members can compare),
 * plus the plain value of the shared variables that are not secret (for messages that say what differs).
 */
import { type NodeConfig, VARIABLES } from '@msk/contract';
import { type ClusterKeys, macHex } from './clusterKeys';

/** How to read each shared variable from the typed config. A shared variable missing here is reported as uncompared. */
const SHARED_VALUE_READERS: Readonly<Record<string, (config: NodeConfig) => string | undefined>> = {
  NEXTAUTH_SECRET: (c) => c.nextAuthSecret,
  NEXTAUTH_SECRET_PREVIOUS: (c) => c.nextAuthSecretPrevious.join(','),
  NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: (c) => c.nextServerActionsEncryptionKey,
  SYNC_REGISTRATION_KEY: (c) => c.syncRegistrationKey,
  SYNC_SERVICE_PORT: (c) => String(c.syncServicePort),
  SYNC_TLS: (c) => c.syncTls,
  NEXTAUTH_URL: (c) => c.nextAuthUrl,
  DATABASE_PASSWORD: (c) => c.databasePassword,
  SYNC_DATABASE_PASSWORD: (c) => c.syncDatabasePassword,
  DATABASE_TOPOLOGY: (c) => c.databaseTopology,
  // a set (the engine orders tables by their foreign keys), and ignored with one shared database
  REPLICATED_TABLES: (c) => (c.databaseTopology === 'per-node' ? [...c.replicatedTables].sort().join(',') : undefined),
};

export const SESSION_SECRET_VARIABLE = 'NEXTAUTH_SECRET';
export const PREVIOUS_SESSION_SECRETS_VARIABLE = 'NEXTAUTH_SECRET_PREVIOUS';
export const PUBLIC_URL_VARIABLE = 'NEXTAUTH_URL';

export interface ConfigFingerprints {
  /** Variable name → keyed fingerprint of its value (a distinct fingerprint for "unset"). */
  readonly fingerprints: Readonly<Record<string, string>>;
  /** Fingerprints of each NEXTAUTH_SECRET_PREVIOUS entry, comparable with NEXTAUTH_SECRET fingerprints. */
  readonly previousSessionSecrets: readonly string[];
  /** Plain values of the shared variables that are not secret (NEXTAUTH_URL, SYNC_SERVICE_PORT). */
  readonly publicValues: Readonly<Record<string, string>>;
}

export function sharedVariableNames(): string[] {
  return VARIABLES.filter((v) => v.scope === 'shared').map((v) => v.name);
}

/** Shared variables of the contract this service cannot read from NodeConfig (should be none; a test checks). */
export function uncomparedSharedVariables(): string[] {
  return sharedVariableNames().filter((name) => !(name in SHARED_VALUE_READERS));
}

function fingerprintOf(keys: ClusterKeys, variable: string, value: string | undefined): string {
  return macHex(keys['config-fingerprint'], [
    'config fingerprint',
    variable,
    value === undefined || value === '' ? null : value,
  ]).slice(0, 32);
}

export function computeConfigFingerprints(config: NodeConfig, keys: ClusterKeys): ConfigFingerprints {
  const fingerprints: Record<string, string> = {};
  const publicValues: Record<string, string> = {};
  for (const spec of VARIABLES) {
    if (spec.scope !== 'shared') continue;
    const read = SHARED_VALUE_READERS[spec.name];
    if (!read) continue;
    const value = read(config);
    fingerprints[spec.name] = fingerprintOf(keys, spec.name, value);
    if (!spec.secret && value !== undefined) publicValues[spec.name] = value;
  }
  // Previous secrets are fingerprinted as NEXTAUTH_SECRET values, so "your current is one of my previous" is visible.
  const previousSessionSecrets = config.nextAuthSecretPrevious.map((s) =>
    fingerprintOf(keys, SESSION_SECRET_VARIABLE, s),
  );
  return { fingerprints, previousSessionSecrets, publicValues };
}
