import { type VariableSpec, VARIABLES } from '@msk/contract';
import { type EnvironmentContext, planContainerEnvironment, referencedSecretKeys } from './environment';

const context: EnvironmentContext = {
  publicUrl: 'https://platform.example.com',
  databaseUrl: 'postgresql://msk_app@127.0.0.1:5432/multi_business_db',
  databaseTopology: 'per-node',
  syncDatabaseUrl: 'postgresql://msk_sync@127.0.0.1:5432/multi_business_db',
  appPort: 8080,
  syncPort: 8765,
  discovery: { mode: 'dns', dnsName: 'peers.ns.svc.cluster.local' },
  replicatedTables: ['users', 'businesses', 'employees'],
  settings: {},
};

function spec(overrides: Partial<VariableSpec> & Pick<VariableSpec, 'name' | 'scope'>): VariableSpec {
  return {
    secret: false,
    requiredBy: [],
    readBy: ['app', 'sync'],
    help: '',
    fix: '',
    check: () => undefined,
    ...overrides,
  };
}

describe('planContainerEnvironment', () => {
  it('sends every secret that is not per-pod (shared or setting) to the Secret, keyed by its name', () => {
    for (const consumer of ['app', 'sync'] as const) {
      const plan = planContainerEnvironment(consumer, context);
      const expected = VARIABLES.filter(
        (v) => v.secret && (v.scope === 'shared' || v.scope === 'setting') && v.readBy.includes(consumer),
      ).map((v) => v.name);
      const fromSecret = plan.filter((p) => p.source.from === 'secret');
      expect(fromSecret.map((p) => p.name)).toEqual(expected);
      for (const planned of fromSecret) expect(planned.source).toMatchObject({ key: planned.name });
    }
  });

  it('never gives a secret variable a plain value, except the database URLs which carry no password here', () => {
    const secretNames = new Set(VARIABLES.filter((v) => v.secret).map((v) => v.name));
    const plainSecrets = (consumer: 'app' | 'sync') =>
      planContainerEnvironment(consumer, context)
        .filter((p) => secretNames.has(p.name) && p.source.from === 'value')
        .map((p) => p.name);
    expect(plainSecrets('app')).toEqual(['DATABASE_URL']);
    expect(plainSecrets('sync')).toEqual(['DATABASE_URL', 'SYNC_DATABASE_URL']);
  });

  it('connects the sync service as its own role, with the password from the Secret', () => {
    const plan = planContainerEnvironment('sync', context);
    expect(plan.find((p) => p.name === 'SYNC_DATABASE_URL')?.source).toEqual({
      from: 'value',
      value: context.syncDatabaseUrl,
    });
    expect(plan.find((p) => p.name === 'SYNC_DATABASE_PASSWORD')?.source).toEqual({
      from: 'secret',
      key: 'SYNC_DATABASE_PASSWORD',
      optional: false,
    });
    expect(planContainerEnvironment('app', context).map((p) => p.name)).not.toContain('SYNC_DATABASE_PASSWORD');
    expect(() =>
      planContainerEnvironment('sync', { ...context, syncDatabaseUrl: 'postgresql://u:pw@127.0.0.1/db' }),
    ).toThrow(/must not carry a password/);
  });

  it('refuses a DATABASE_URL that carries a password', () => {
    expect(() =>
      planContainerEnvironment('app', { ...context, databaseUrl: 'postgresql://u:pw@127.0.0.1/db' }),
    ).toThrow(/must not carry a password/);
  });

  it('derives the unique variables per pod: the name from the pod, the ID in the entry script', () => {
    const plan = planContainerEnvironment('sync', context);
    expect(plan.find((p) => p.name === 'SYNC_NODE_NAME')?.source).toEqual({
      from: 'pod-field',
      fieldPath: 'metadata.name',
    });
    expect(plan.find((p) => p.name === 'SYNC_NODE_ID')?.source).toEqual({ from: 'entry-script' });
  });

  it('gives each container only the variables the contract says it reads', () => {
    const names = (consumer: 'app' | 'sync') => planContainerEnvironment(consumer, context).map((p) => p.name);
    expect(names('app')).not.toContain('SYNC_DISCOVERY');
    expect(names('sync')).not.toContain('NEXT_SERVER_ACTIONS_ENCRYPTION_KEY');
    for (const consumer of ['app', 'sync'] as const) {
      for (const name of names(consumer)) expect(VARIABLES.find((v) => v.name === name)?.readBy).toContain(consumer);
    }
  });

  it('covers every variable the contract requires of each container', () => {
    for (const consumer of ['app', 'sync'] as const) {
      const names = new Set(planContainerEnvironment(consumer, context).map((p) => p.name));
      for (const required of VARIABLES.filter((v) => v.requiredBy.includes(consumer)))
        expect(names).toContain(required.name);
    }
  });

  it('requires the optional DATABASE_PASSWORD key, because DATABASE_URL has no password here', () => {
    const plan = planContainerEnvironment('app', context);
    expect(plan.find((p) => p.name === 'DATABASE_PASSWORD')?.source).toEqual({
      from: 'secret',
      key: 'DATABASE_PASSWORD',
      optional: false,
    });
    expect(plan.find((p) => p.name === 'NEXTAUTH_SECRET_PREVIOUS')?.source).toEqual({
      from: 'secret',
      key: 'NEXTAUTH_SECRET_PREVIOUS',
      optional: true,
    });
  });

  it('leaves out settings nobody configured, so the contract default applies', () => {
    const plan = planContainerEnvironment('sync', context);
    expect(plan.find((p) => p.name === 'SYNC_INTERVAL')).toBeUndefined();
    const configured = planContainerEnvironment('sync', { ...context, settings: { SYNC_INTERVAL: '5000' } });
    expect(configured.find((p) => p.name === 'SYNC_INTERVAL')?.source).toEqual({ from: 'value', value: '5000' });
  });

  it('sends a new shared secret added to the contract to the Secret without any change here', () => {
    const variables = [spec({ name: 'NEW_SHARED_SECRET', scope: 'shared', secret: true, requiredBy: ['sync'] })];
    expect(planContainerEnvironment('sync', context, variables)).toEqual([
      { name: 'NEW_SHARED_SECRET', source: { from: 'secret', key: 'NEW_SHARED_SECRET', optional: false } },
    ]);
  });

  it('stops the synth when a required non-secret variable has no rule and no default, saying where to add one', () => {
    const variables = [spec({ name: 'NEW_PER_NODE_ADDRESS', scope: 'per-node', requiredBy: ['app'] })];
    expect(() => planContainerEnvironment('app', context, variables)).toThrow(
      /NEW_PER_NODE_ADDRESS.*add a rule in cdk8s\/src\/environment\.ts/,
    );
  });

  it('leaves out an optional variable without a rule', () => {
    const variables = [spec({ name: 'NEW_OPTIONAL_FILE', scope: 'per-node', default: '' })];
    expect(planContainerEnvironment('app', context, variables)).toEqual([]);
  });
});

describe('referencedSecretKeys', () => {
  it('lists each key once, optional only if every container may go without it', () => {
    const keys = referencedSecretKeys([
      planContainerEnvironment('app', context),
      planContainerEnvironment('sync', context),
    ]);
    expect(keys).toEqual(
      expect.arrayContaining([
        { key: 'NEXTAUTH_SECRET', optional: false },
        { key: 'SYNC_REGISTRATION_KEY', optional: false },
        { key: 'DATABASE_PASSWORD', optional: false },
        { key: 'SYNC_DATABASE_PASSWORD', optional: false },
        { key: 'NEXTAUTH_SECRET_PREVIOUS', optional: true },
        { key: 'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY', optional: true },
      ]),
    );
    expect(new Set(keys.map((k) => k.key)).size).toBe(keys.length);
  });
});
