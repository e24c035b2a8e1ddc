import { DEFAULTS, type PlatformConfig, PlatformConfigError, resolvePlatformConfig } from './platformConfigSchema';
import { platformConfig } from './platform.config';

function problemsOf(config: PlatformConfig): { field: string; message: string }[] {
  try {
    resolvePlatformConfig(config);
  } catch (error) {
    if (error instanceof PlatformConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function fieldsOf(config: PlatformConfig): string[] {
  return problemsOf(config).map((p) => p.field);
}

const base: PlatformConfig = { host: 'platform.example.com' };

describe('resolvePlatformConfig', () => {
  it('default: fills every field from DEFAULTS when only the host is given', () => {
    const resolved = resolvePlatformConfig(base);
    expect(resolved).toMatchObject({
      name: 'multi-server-kit',
      namespace: 'multi-server-kit',
      replicas: 2,
      host: 'platform.example.com',
      tls: undefined,
      sharedSecretName: 'multi-server-kit-shared',
      images: DEFAULTS.images,
      discovery: 'dns',
      clusterDomain: 'cluster.local',
      terminationGracePeriodSeconds: 60,
      networkPolicy: { appReachableFrom: { namespace: 'ingress-nginx' }, egress: 'restricted' },
      settings: {},
    });
    expect(resolved.postgres).toEqual({ ...DEFAULTS.postgres, storageClassName: undefined });
  });

  it('accepts the committed platform.config.ts', () => {
    expect(() => resolvePlatformConfig(platformConfig)).not.toThrow();
  });

  it('keeps a replica count of 0 as given (and rejects it) instead of replacing it by the default', () => {
    expect(fieldsOf({ ...base, replicas: 0 })).toEqual(['replicas']);
  });

  it('throws if the host carries a scheme, naming the field and the fix', () => {
    const [problem] = problemsOf({ ...base, host: 'https://platform.example.com' });
    expect(problem).toEqual({
      field: 'host',
      message: expect.stringContaining("'platform.example.com' instead of 'https://platform.example.com'"),
    });
  });

  it('throws if the host has a port or path, or is not a DNS name', () => {
    expect(fieldsOf({ host: 'platform.example.com:8443' })).toEqual(['host']);
    expect(fieldsOf({ host: 'Platform_Example' })).toEqual(['host']);
  });

  it('throws if an image tag is latest (any case), naming the image', () => {
    const problems = problemsOf({ ...base, images: { sync: { repository: 'multi-server-kit/sync', tag: 'Latest' } } });
    expect(problems).toEqual([{ field: 'images.sync.tag', message: expect.stringContaining('pin a version tag') }]);
  });

  it('throws if a repository carries its own tag', () => {
    expect(fieldsOf({ ...base, images: { postgres: { repository: 'postgres:17', tag: '17.6' } } })).toEqual([
      'images.postgres.repository',
    ]);
  });

  it('accepts a registry with a port in the repository', () => {
    expect(
      fieldsOf({ ...base, images: { app: { repository: 'registry.example.com:5000/team/app', tag: '1.0.0' } } }),
    ).toEqual([]);
  });

  it('throws for more replicas than the sync mesh supports', () => {
    expect(problemsOf({ ...base, replicas: 65 })[0]?.message).toContain('from 1 to 64');
  });

  it('throws if the name is too long for pod names and labels', () => {
    expect(fieldsOf({ ...base, name: 'a'.repeat(41) })).toEqual(['name']);
  });

  it('throws for a storage size without a binary unit', () => {
    expect(fieldsOf({ ...base, postgres: { storageSize: '10GB' } })).toEqual(['postgres.storageSize']);
  });

  it('throws if a request is above its limit, naming the request', () => {
    const resources = { requests: { cpuMillis: 2000, memoryMiB: 256 }, limits: { cpuMillis: 1000, memoryMiB: 512 } };
    expect(fieldsOf({ ...base, app: { resources } })).toEqual(['app.resources.requests.cpuMillis']);
  });

  it('throws for a root user (0) for any container', () => {
    expect(fieldsOf({ ...base, postgres: { runAsUser: 0 } })).toEqual(['postgres.runAsUser']);
  });

  it('throws for an empty command and a relative cache path', () => {
    expect(fieldsOf({ ...base, app: { command: [], cacheMountPath: '.next/cache' } })).toEqual([
      'app.command',
      'app.cacheMountPath',
    ]);
  });

  it('throws for an unknown discovery mode', () => {
    expect(fieldsOf({ ...base, discovery: 'mdns' as never })).toEqual(['discovery']);
  });

  it('checks settings against the env contract: unknown names, non-settings, secrets, derived ones and bad values', () => {
    const problems = problemsOf({
      ...base,
      settings: {
        NOT_A_VARIABLE: 'x',
        NEXTAUTH_URL: 'https://elsewhere.example.com',
        ADMIN_PASSWORD: 'correct horse battery staple',
        SYNC_DISCOVERY: 'static',
        SYNC_LOG_LEVEL: 'loud',
        APP_NAME: 'Acme',
      },
    });
    expect(problems.map((p) => p.field)).toEqual([
      'settings.NOT_A_VARIABLE',
      'settings.NEXTAUTH_URL',
      'settings.ADMIN_PASSWORD',
      'settings.SYNC_DISCOVERY',
      'settings.SYNC_LOG_LEVEL',
    ]);
    expect(problems[2]?.message).toContain('put it in the shared Secret');
    expect(problems[4]?.message).toContain('use one of');
  });

  it('default: no external database; with one, fills its defaults and takes the shared Secret for the passwords', () => {
    expect(resolvePlatformConfig(base).externalDatabase).toBeUndefined();
    expect(
      resolvePlatformConfig({
        ...base,
        sharedSecretName: 'shop-shared',
        externalDatabase: { host: 'db-rw.example.org' },
      }).externalDatabase,
    ).toEqual({
      host: 'db-rw.example.org',
      port: 5432,
      database: 'multi_business_db',
      user: 'msk_app',
      syncUser: 'msk_sync',
      existingSecret: 'shop-shared',
      passwordKey: 'DATABASE_PASSWORD',
      syncPasswordKey: 'SYNC_DATABASE_PASSWORD',
      sslMode: '',
    });
  });

  it('throws if an external database field is bad, naming each one', () => {
    const problems = problemsOf({
      ...base,
      externalDatabase: {
        host: 'postgresql://db.example.org',
        port: 70_000,
        database: 'Shop DB',
        user: "app'; drop",
        syncUser: '',
        existingSecret: 'Not_A_Name',
        passwordKey: 'a/b',
        syncPasswordKey: '',
        sslMode: 'allow' as never,
      },
    });
    expect(problems.map((p) => p.field)).toEqual([
      'externalDatabase.host',
      'externalDatabase.port',
      'externalDatabase.database',
      'externalDatabase.user',
      'externalDatabase.syncUser',
      'externalDatabase.existingSecret',
      'externalDatabase.passwordKey',
      'externalDatabase.syncPasswordKey',
      'externalDatabase.sslMode',
    ]);
    expect(problemsOf({ ...base, externalDatabase: { host: '' } })[0]?.message).toContain('is required');
  });

  it("default: the reference app's port, command, probe paths and tables", () => {
    const resolved = resolvePlatformConfig(base);
    expect(resolved.app).toMatchObject({
      port: 8080,
      command: ['node', 'server.js'],
      args: [],
      env: {},
      probes: { livenessPath: '/api/health', readinessPath: '/api/ready' },
    });
    expect(resolved.replicatedTables).toEqual(['users', 'businesses', 'employees']);
  });

  it("can configure another app's port, command, args, env, probe paths (empty ones too) and tables", () => {
    const app = {
      port: 3000,
      command: ['node', 'web/server.js'],
      args: ['--x'],
      env: { LOG_FORMAT: 'json' },
      probes: { livenessPath: '/api/auth/providers', readinessPath: '' },
    };
    const resolved = resolvePlatformConfig({ ...base, app, replicatedTables: ['accounts', 'deals'] });
    expect(resolved.app).toMatchObject(app);
    expect(resolved.replicatedTables).toEqual(['accounts', 'deals']);
    expect(resolvePlatformConfig({ ...base, app: { probes: { livenessPath: '' } } }).app.probes).toEqual({
      livenessPath: '',
      readinessPath: '/api/ready',
    });
  });

  it('throws for an app port another container of the pod uses, or out of range', () => {
    for (const port of [8765, 5432, 9464, 9465])
      expect(problemsOf({ ...base, app: { port } })).toEqual([
        { field: 'app.port', message: expect.stringContaining('choose another port') },
      ]);
    expect(fieldsOf({ ...base, app: { port: 70_000 } })).toEqual(['app.port']);
  });

  it('throws for app env extras that are contract variables, MSK_ names or not names at all', () => {
    expect(
      fieldsOf({ ...base, app: { env: { NEXTAUTH_SECRET: 'x', MSK_POD_INDEX: '1', '1BAD': 'x', FINE: 'ok' } } }),
    ).toEqual(['app.env.NEXTAUTH_SECRET', 'app.env.MSK_POD_INDEX', 'app.env.1BAD']);
    expect(problemsOf({ ...base, app: { env: { DATABASE_URL: 'postgresql://x' } } })[0]?.message).toContain(
      'a plain setting goes in `settings`, a secret in the shared Secret',
    );
  });

  it('throws for probe paths that are not paths, naming each', () => {
    expect(fieldsOf({ ...base, app: { probes: { livenessPath: 'api/health', readinessPath: '/ready?x=1' } } })).toEqual(
      ['app.probes.livenessPath', 'app.probes.readinessPath'],
    );
  });

  it('throws for no replicated table, a table listed twice or a name that is not a plain table name', () => {
    expect(problemsOf({ ...base, replicatedTables: [] })[0]?.message).toContain('at least one table');
    expect(problemsOf({ ...base, replicatedTables: ['users', 'users'] })[0]?.message).toContain(
      'names users more than once',
    );
    expect(problemsOf({ ...base, replicatedTables: ['public.users'] })[0]?.message).toContain(
      'tables of schema public only',
    );
    expect(problemsOf({ ...base, replicatedTables: ['Users'] })[0]?.message).toContain('not a lowercase table name');
  });

  it('reports every problem at once, not only the first', () => {
    expect(fieldsOf({ host: 'http://x', replicas: -1, namespace: 'Bad_Namespace', tls: { secretName: '' } })).toEqual([
      'namespace',
      'replicas',
      'host',
      'tls.secretName',
    ]);
  });

  it('writes a message that names the file and each field', () => {
    expect(() => resolvePlatformConfig({ ...base, replicas: 0 })).toThrow(
      /cdk8s\/src\/platform\.config\.ts\) has 1 problem\(s\):\n {2}replicas: must be a whole number from 1 to 64, got 0/,
    );
  });
});
