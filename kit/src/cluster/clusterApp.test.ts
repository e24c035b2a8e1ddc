import {
  ClusterAppError,
  DEFAULT_PROBE_PATH,
  appProcessEnvironment,
  parseClusterApp,
  referenceApp,
} from './clusterApp';
import { REFERENCE_APP_REPLICATED_TABLES } from '@msk/contract';

const manifest = (field: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'field-desk', scripts: { build: 'next build' }, multiServerKit: field, ...extra });

describe('the app a local cluster runs', () => {
  it('default: the reference app, probed on /api/health, replicating its own tables', () => {
    expect(referenceApp()).toMatchObject({
      reference: true,
      probePath: DEFAULT_PROBE_PATH,
      replicatedTables: REFERENCE_APP_REPLICATED_TABLES,
      envNames: {},
    });
  });

  it('reads the probe path, the tables and the variable names from package.json multiServerKit', () => {
    const app = parseClusterApp(
      '/x',
      manifest({
        probePath: '/api/auth/providers',
        replicatedTables: ['teams', 'work_orders'],
        env: { AUTH_SECRET: 'NEXTAUTH_SECRET' },
      }),
      'package.json',
    );
    expect(app).toMatchObject({
      label: 'field-desk',
      reference: false,
      probePath: '/api/auth/providers',
      replicatedTables: ['teams', 'work_orders'],
      envNames: { AUTH_SECRET: 'NEXTAUTH_SECRET' },
    });
  });

  it('lets the command line win over package.json', () => {
    const app = parseClusterApp('/x', manifest({ probePath: '/a', replicatedTables: ['teams'] }), 'package.json', {
      probePath: '/b',
      replicatedTables: ['other'],
    });
    expect(app).toMatchObject({ probePath: '/b', replicatedTables: ['other'] });
  });

  it('throws if the app lists no tables to replicate, naming the field', () => {
    expect(() => parseClusterApp('/x', manifest({}), 'examples/x/package.json')).toThrow(
      /examples\/x\/package.json multiServerKit.replicatedTables must list 1 to/,
    );
  });

  it('throws if a table name breaks the contract rule of REPLICATED_TABLES', () => {
    expect(() => parseClusterApp('/x', manifest({ replicatedTables: ['public.teams'] }), 'p.json')).toThrow(
      /schema public only/,
    );
    expect(() => parseClusterApp('/x', manifest({ replicatedTables: ['Teams; DROP'] }), 'p.json')).toThrow(
      ClusterAppError,
    );
  });

  it('throws if the probe path is not a plain path on the app', () => {
    for (const probePath of ['api/health', '//evil.example/x', '/a b', 42, '/' + 'a'.repeat(300)]) {
      expect(() => parseClusterApp('/x', manifest({ probePath, replicatedTables: ['t'] }), 'p.json')).toThrow(
        /probePath must be a path on the app/,
      );
    }
  });

  it('throws if an env name maps to no variable of the contract, or is no variable name', () => {
    expect(() =>
      parseClusterApp(
        '/x',
        manifest({ replicatedTables: ['t'], env: { AUTH_SECRET: 'NOT_A_KIT_VARIABLE' } }),
        'p.json',
      ),
    ).toThrow(/env.AUTH_SECRET: "NOT_A_KIT_VARIABLE" is not a variable of the kit's contract/);
    expect(() =>
      parseClusterApp('/x', manifest({ replicatedTables: ['t'], env: { 'A=B': 'NEXTAUTH_SECRET' } }), 'p.json'),
    ).toThrow(/is not an environment variable name/);
  });

  it('throws if package.json is not JSON or has no build script', () => {
    expect(() => parseClusterApp('/x', '{', 'p.json')).toThrow(/p.json is not valid JSON/);
    expect(() => parseClusterApp('/x', JSON.stringify({ name: 'a' }), 'p.json')).toThrow(/no "build" script/);
  });

  it('hands the app each renamed variable under its own name only', () => {
    const app = parseClusterApp(
      '/x',
      manifest({ replicatedTables: ['t'], env: { AUTH_SECRET: 'NEXTAUTH_SECRET', AUTH_URL: 'NEXTAUTH_URL' } }),
      'p.json',
    );
    expect(appProcessEnvironment(app, { NEXTAUTH_SECRET: 's', NEXTAUTH_URL: 'http://u', PORT: '8080' })).toEqual({
      AUTH_SECRET: 's',
      AUTH_URL: 'http://u',
      PORT: '8080',
    });
  });
});
