import { type NodeConfig, VARIABLES, validateNodeEnvironment } from '@msk/contract';
import { deriveClusterKeys } from './clusterKeys';
import { computeConfigFingerprints, sharedVariableNames, uncomparedSharedVariables } from './configFingerprints';

const env = {
  NEXTAUTH_SECRET: 'Qm9vdHN0cmFwcGVkU2VjcmV0Rm9yVGVzdHNPbmx5MTIzNDU2Nzg5MA==',
  SYNC_REGISTRATION_KEY: '7d1e4c2b9a8f6e5d4c3b2a1908f7e6d5c4b3a29181706f5e4d3c2b1a09f8e7d6',
  SYNC_NODE_ID: '0123456789abcdef',
  SYNC_NODE_NAME: 'server-1',
  NEXTAUTH_URL: 'https://platform.example.com',
  DATABASE_URL: 'postgresql://msk@localhost:5432/db',
  REPLICATED_TABLES: 'users,businesses,employees',
};

function config(overrides: Record<string, string> = {}): NodeConfig {
  const report = validateNodeEnvironment({ ...env, ...overrides }, 'sync');
  if (!report.config) throw new Error(JSON.stringify(report.problems));
  return report.config;
}

const keys = deriveClusterKeys(env.SYNC_REGISTRATION_KEY);

describe('computeConfigFingerprints', () => {
  it('compares every shared variable of the env contract', () => {
    expect(uncomparedSharedVariables()).toEqual([]);
    expect(Object.keys(computeConfigFingerprints(config(), keys).fingerprints).sort()).toEqual(
      sharedVariableNames().sort(),
    );
  });

  it('never carries a secret value, only fingerprints; plain values only for non-secret variables', () => {
    const result = computeConfigFingerprints(config(), keys);
    const text = JSON.stringify(result);
    expect(text).not.toContain(env.NEXTAUTH_SECRET);
    expect(text).not.toContain(env.SYNC_REGISTRATION_KEY);
    const secretNames = VARIABLES.filter((v) => v.secret).map((v) => v.name);
    expect(Object.keys(result.publicValues).filter((n) => secretNames.includes(n))).toEqual([]);
    expect(result.publicValues.NEXTAUTH_URL).toBe('https://platform.example.com');
  });

  it('gives equal values equal fingerprints and different values different ones', () => {
    const a = computeConfigFingerprints(config(), keys);
    const b = computeConfigFingerprints(config(), keys);
    const c = computeConfigFingerprints(
      config({ NEXTAUTH_SECRET: 'RGlmZmVyZW50U2VjcmV0Rm9yVGVzdHNPbmx5MTIzNDU2Nzg5MEFCQw==' }),
      keys,
    );
    expect(a.fingerprints).toEqual(b.fingerprints);
    expect(c.fingerprints.NEXTAUTH_SECRET).not.toBe(a.fingerprints.NEXTAUTH_SECRET);
    expect(c.fingerprints.NEXTAUTH_URL).toBe(a.fingerprints.NEXTAUTH_URL);
  });

  it('fingerprints are keyed: another cluster cannot compare them', () => {
    const other = deriveClusterKeys('8d1e4c2b9a8f6e5d4c3b2a1908f7e6d5c4b3a29181706f5e4d3c2b1a09f8e7d6');
    expect(computeConfigFingerprints(config(), other).fingerprints.NEXTAUTH_SECRET).not.toBe(
      computeConfigFingerprints(config(), keys).fingerprints.NEXTAUTH_SECRET,
    );
  });

  it('fingerprints previous session secrets so they compare with current ones', () => {
    const rotated = config({
      NEXTAUTH_SECRET: 'TmV3U2VjcmV0Rm9yUm90YXRpb25UZXN0c09ubHkxMjM0NTY3ODkwQUI=',
      NEXTAUTH_SECRET_PREVIOUS: env.NEXTAUTH_SECRET,
    });
    expect(computeConfigFingerprints(rotated, keys).previousSessionSecrets).toEqual([
      computeConfigFingerprints(config(), keys).fingerprints.NEXTAUTH_SECRET,
    ]);
  });
});

describe('REPLICATED_TABLES among the compared shared values', () => {
  const of = (overrides: Record<string, string>) =>
    computeConfigFingerprints(config(overrides), keys).fingerprints.REPLICATED_TABLES;

  it('differs when another table is replicated, not when the same tables are listed in another order', () => {
    expect(of({ REPLICATED_TABLES: 'users,businesses' })).not.toEqual(
      of({ REPLICATED_TABLES: 'users,businesses,employees' }),
    );
    expect(of({ REPLICATED_TABLES: 'employees,users,businesses' })).toEqual(
      of({ REPLICATED_TABLES: 'users,businesses,employees' }),
    );
  });

  it('is not compared with one shared database, where replication is off', () => {
    expect(of({ DATABASE_TOPOLOGY: 'shared', REPLICATED_TABLES: 'users' })).toEqual(
      of({ DATABASE_TOPOLOGY: 'shared', REPLICATED_TABLES: 'orders' }),
    );
  });
});
