import { randomBytes } from 'node:crypto';
import { ConfigurationError, fingerprint, loadNodeConfig, validateNodeEnvironment, VARIABLES } from './index';
import { goodEnvironment } from './testing';

describe('the env contract', () => {
  it('declares every variable of the setup guide and those the kit adds', () => {
    const names = VARIABLES.map((v) => v.name);
    for (const name of [
      'NEXTAUTH_SECRET',
      'SYNC_REGISTRATION_KEY',
      'SYNC_SERVICE_PORT',
      'SYNC_NODE_ID',
      'SYNC_NODE_NAME',
      'NEXTAUTH_URL',
      'DATABASE_URL',
      'NODE_ENV',
      'APP_NAME',
      'PORT',
      'SYNC_HTTP_PORT',
      'SYNC_INTERVAL',
      'SYNC_AUTO_START',
      'SYNC_LOG_LEVEL',
      'NEXTAUTH_SECRET_PREVIOUS',
      'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY',
      'SYNC_DISCOVERY',
      'SYNC_PEERS',
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every variable a scope, help and a fix, and secrets no default value', () => {
    for (const spec of VARIABLES) {
      expect(['shared', 'unique', 'per-node', 'setting']).toContain(spec.scope);
      expect(spec.help.length).toBeGreaterThan(10);
      expect(spec.fix.length).toBeGreaterThan(5);
      if (spec.secret) expect(spec.default ?? '').toBe('');
    }
  });

  // The guide says NEXTAUTH_URL is "different per server"; behind one entry point it must be the one public URL.
  it.each([
    ['NEXTAUTH_SECRET', 'shared'],
    ['SYNC_REGISTRATION_KEY', 'shared'],
    ['SYNC_SERVICE_PORT', 'shared'],
    ['SYNC_NODE_ID', 'unique'],
    ['SYNC_NODE_NAME', 'unique'],
    ['NEXTAUTH_URL', 'shared'],
    ['DATABASE_URL', 'per-node'],
  ])("makes the guide's SAME / UNIQUE table exact: %s is %s", (name, scope) => {
    expect(VARIABLES.find((v) => v.name === name)?.scope).toBe(scope);
  });

  it('loads a typed configuration with defaults applied', () => {
    const { config } = loadNodeConfig(goodEnvironment(), 'app');
    expect(config.syncServicePort).toBe(8765);
    expect(config.port).toBe(8080);
    expect(config.syncIntervalMs).toBe(30000);
    expect(config.syncAutoStart).toBe(true);
    expect(config.syncPeers).toEqual(['10.0.0.2:8765']);
    expect(config.nextAuthSecretPrevious).toEqual([]);
    expect(config.nodeEnv).toBe('production');
  });

  it('returns every problem, not the first, each naming the variable and the fix', () => {
    const env = {
      ...goodEnvironment(),
      NEXTAUTH_SECRET: 'short',
      SYNC_NODE_ID: 'a1b2c3d4e5f6g7h8',
      PORT: '0',
      SYNC_INTERVAL: '10',
    };
    delete (env as Record<string, string | undefined>).DATABASE_URL;
    const { problems, config } = validateNodeEnvironment(env, 'sync');
    expect(config).toBeUndefined();
    const errors = problems
      .filter((p) => p.severity === 'error')
      .map((p) => p.variable)
      .sort();
    expect(errors).toEqual(['DATABASE_URL', 'NEXTAUTH_SECRET', 'PORT', 'SYNC_INTERVAL', 'SYNC_NODE_ID']);
    for (const p of problems) expect(p.fix).not.toBe('');
  });

  it('says a quoted or padded value is quoted or padded', () => {
    const env = { ...goodEnvironment(), SYNC_NODE_NAME: '"node-1"', NEXTAUTH_URL: 'https://platform.example.com ' };
    const { problems } = validateNodeEnvironment(env, 'app');
    expect(problems.find((p) => p.variable === 'SYNC_NODE_NAME')?.message).toMatch(/wrapped in quotes/);
    expect(problems.find((p) => p.variable === 'NEXTAUTH_URL')?.message).toMatch(/trailing whitespace/);
  });

  it('never puts a secret value into an error message', () => {
    const secret = randomBytes(12).toString('base64') + '"';
    const env = {
      ...goodEnvironment(),
      NEXTAUTH_SECRET: secret,
      NEXTAUTH_SECRET_PREVIOUS: 'weak1,weak2',
      DATABASE_URL: 'mysql://u:hunter2hunter2@x/db',
    };
    let thrown: unknown;
    try {
      loadNodeConfig(env, 'app');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    const text = (thrown as Error).message;
    expect(text).toContain('NEXTAUTH_SECRET');
    expect(text).not.toContain(secret.slice(0, 10));
    expect(text).not.toContain('weak1');
    expect(text).not.toContain('hunter2');
  });

  it("requires the discovery mode's own settings", () => {
    const { problems } = validateNodeEnvironment({ ...goodEnvironment(), SYNC_DISCOVERY: 'dns' }, 'sync');
    expect(problems.find((p) => p.variable === 'SYNC_DNS_NAME')?.message).toBe('is required when SYNC_DISCOVERY=dns');
    const k8s = validateNodeEnvironment({ ...goodEnvironment(), SYNC_DISCOVERY: 'kubernetes' }, 'sync');
    expect(k8s.problems.map((p) => p.variable)).toContain('SYNC_KUBERNETES_SERVICE');
  });

  it('accepts previous secrets for a rotation and refuses weak ones', () => {
    const old = randomBytes(32).toString('base64');
    const { config } = loadNodeConfig({ ...goodEnvironment(), NEXTAUTH_SECRET_PREVIOUS: old }, 'app');
    expect(config.nextAuthSecretPrevious).toEqual([old]);
    const weak = validateNodeEnvironment({ ...goodEnvironment(), NEXTAUTH_SECRET_PREVIOUS: `${old},tooweak` }, 'app');
    expect(weak.problems.find((p) => p.variable === 'NEXTAUTH_SECRET_PREVIOUS')?.severity).toBe('error');
  });

  it('fingerprints are short, stable and differ between secrets', () => {
    const a = randomBytes(32).toString('base64');
    expect(fingerprint(a)).toMatch(/^fp:[0-9a-f]{8}$/);
    expect(fingerprint(a)).toBe(fingerprint(a));
    expect(fingerprint(a)).not.toBe(fingerprint(randomBytes(32).toString('base64')));
  });
});

describe('SYNC_CLOCK_OFFSET_MS (fault drills)', () => {
  const offsetProblems = (value: string) =>
    validateNodeEnvironment({ ...goodEnvironment(), SYNC_CLOCK_OFFSET_MS: value }, 'sync').problems.filter(
      (p) => p.variable === 'SYNC_CLOCK_OFFSET_MS',
    );

  it('defaults to 0 with no problem, so production clocks are never shifted', () => {
    const { config, warnings } = loadNodeConfig(goodEnvironment(), 'sync');
    expect(config.syncClockOffsetMs).toBe(0);
    expect(warnings.filter((p) => p.variable === 'SYNC_CLOCK_OFFSET_MS')).toEqual([]);
    expect(offsetProblems('0')).toEqual([]);
  });

  it('accepts whole milliseconds ahead or behind, and warns that the clock is shifted on purpose', () => {
    expect(
      loadNodeConfig({ ...goodEnvironment(), SYNC_CLOCK_OFFSET_MS: '+4000' }, 'sync').config.syncClockOffsetMs,
    ).toBe(4000);
    expect(
      loadNodeConfig({ ...goodEnvironment(), SYNC_CLOCK_OFFSET_MS: '-2500' }, 'sync').config.syncClockOffsetMs,
    ).toBe(-2500);
    expect(
      loadNodeConfig({ ...goodEnvironment(), SYNC_CLOCK_OFFSET_MS: '86400000' }, 'sync').config.syncClockOffsetMs,
    ).toBe(86_400_000);
    const [warning] = offsetProblems('4000');
    expect(warning).toMatchObject({ severity: 'warning', message: expect.stringMatching(/shifted on purpose/) });
  });

  it('refuses fractions, words and offsets beyond a day, naming the range in the fix', () => {
    for (const value of ['1.5', '4s', 'ahead', '--5', '86400001', '-86400001']) {
      const problems = offsetProblems(value);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({
        severity: 'error',
        fix: expect.stringContaining('between -86400000 and 86400000'),
      });
    }
    expect(offsetProblems('1.5')[0]?.message).toMatch(/whole number of milliseconds/);
    expect(offsetProblems('-86400001')[0]?.message).toBe(
      'must be between -86400000 and 86400000 milliseconds, got -86400001',
    );
  });
});

describe('SYNC_LOCAL_CHANGES (how local commits are noticed)', () => {
  const problems = (value: string) =>
    validateNodeEnvironment({ ...goodEnvironment(), SYNC_LOCAL_CHANGES: value }, 'sync').problems.filter(
      (p) => p.variable === 'SYNC_LOCAL_CHANGES',
    );

  it('defaults to NOTIFY, and reads poll:<ms> as a polling interval', () => {
    expect(loadNodeConfig(goodEnvironment(), 'sync').config.syncLocalChanges).toEqual({ mode: 'notify' });
    expect(
      loadNodeConfig({ ...goodEnvironment(), SYNC_LOCAL_CHANGES: 'poll:2' }, 'sync').config.syncLocalChanges,
    ).toEqual({ mode: 'poll', pollIntervalMs: 2 });
    expect(problems('poll:1000')).toEqual([]);
  });

  it('refuses other words and intervals out of range, naming the accepted forms', () => {
    for (const value of ['listen', 'poll', 'poll:', 'poll:0', 'poll:1001', 'poll:2ms', 'NOTIFY']) {
      const [problem, ...rest] = problems(value);
      expect(rest).toEqual([]);
      expect(problem).toMatchObject({ severity: 'error', fix: expect.stringContaining('poll:<ms> with 1-1000 ms') });
    }
    expect(problems('poll:0')[0]?.message).toMatch(/between 1 and 1000 ms, got 0/);
  });
});

describe('APP_METRICS_PORT and SYNC_METRICS_PORT (Prometheus metrics listeners)', () => {
  const problemsOf = (env: Record<string, string>, variable: string) =>
    validateNodeEnvironment({ ...goodEnvironment(), ...env }).problems.filter((p) => p.variable === variable);

  it('default to 9464 (app) and 9465 (sync) with no problem', () => {
    expect(loadNodeConfig(goodEnvironment(), 'app').config.appMetricsPort).toBe(9464);
    expect(loadNodeConfig(goodEnvironment(), 'sync').config.syncMetricsPort).toBe(9465);
    expect(problemsOf({}, 'APP_METRICS_PORT')).toEqual([]);
    expect(problemsOf({}, 'SYNC_METRICS_PORT')).toEqual([]);
  });

  it('can configure either port', () => {
    const { config } = loadNodeConfig(
      { ...goodEnvironment(), APP_METRICS_PORT: '19464', SYNC_METRICS_PORT: '19465' },
      'sync',
    );
    expect([config.appMetricsPort, config.syncMetricsPort]).toEqual([19464, 19465]);
  });

  it('throws if a metrics port is not a port number, naming the variable', () => {
    for (const value of ['0', '65536', 'metrics', '9464 ', '-1']) {
      const [problem] = problemsOf({ APP_METRICS_PORT: value }, 'APP_METRICS_PORT');
      expect(problem).toMatchObject({ variable: 'APP_METRICS_PORT', severity: 'error' });
      expect(problemsOf({ SYNC_METRICS_PORT: value }, 'SYNC_METRICS_PORT')[0]?.severity).toBe('error');
    }
  });

  it('throws if a metrics port is the app port, the sync port or the other metrics port', () => {
    expect(problemsOf({ APP_METRICS_PORT: '8080' }, 'APP_METRICS_PORT')[0]).toMatchObject({
      severity: 'error',
      message: 'is 8080, the same port as PORT: the metrics need a port of their own',
    });
    expect(problemsOf({ APP_METRICS_PORT: '8765' }, 'APP_METRICS_PORT')[0]?.message).toMatch(
      /same port as SYNC_SERVICE_PORT/,
    );
    expect(problemsOf({ APP_METRICS_PORT: '9465' }, 'APP_METRICS_PORT')[0]?.message).toMatch(
      /same port as SYNC_METRICS_PORT/,
    );
    expect(problemsOf({ SYNC_METRICS_PORT: '8765' }, 'SYNC_METRICS_PORT')[0]?.message).toMatch(
      /same port as SYNC_SERVICE_PORT/,
    );
    expect(problemsOf({ PORT: '9000', SYNC_METRICS_PORT: '9000' }, 'SYNC_METRICS_PORT')[0]?.message).toMatch(
      /same port as PORT/,
    );
    expect(() => loadNodeConfig({ ...goodEnvironment(), APP_METRICS_PORT: '8080' }, 'app')).toThrow(/APP_METRICS_PORT/);
  });
});
