import { formatProblem, validateNodeEnvironment } from './index';
import { goodEnvironment, newSessionSecret } from './testing';

const secret = newSessionSecret;

function environment(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = { ...goodEnvironment(), ...overrides };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const errorsOf = (env: Record<string, string>) =>
  validateNodeEnvironment(env, 'sync')
    .problems.filter((p) => p.severity === 'error')
    .map(formatProblem);

describe('Auth.js v5 names (AUTH_SECRET, AUTH_URL)', () => {
  it('reads AUTH_SECRET and AUTH_URL as NEXTAUTH_SECRET and NEXTAUTH_URL, for the app and the sync service alike', () => {
    const value = secret();
    const env = environment({
      NEXTAUTH_SECRET: undefined,
      NEXTAUTH_URL: undefined,
      AUTH_SECRET: value,
      AUTH_URL: 'https://shop.example.com',
    });
    for (const consumer of ['app', 'sync'] as const) {
      const { config, problems } = validateNodeEnvironment(env, consumer);
      expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(config?.nextAuthSecret).toBe(value);
      expect(config?.nextAuthUrl).toBe('https://shop.example.com');
    }
  });

  it('accepts both names set to the same value', () => {
    const value = secret();
    expect(
      errorsOf(environment({ NEXTAUTH_SECRET: value, AUTH_SECRET: value, AUTH_URL: 'https://platform.example.com' })),
    ).toEqual([]);
  });

  it('refuses both names set to different values, naming both and never showing the secrets', () => {
    const [mine, theirs] = [secret(), secret()];
    const errors = errorsOf(
      environment({ NEXTAUTH_SECRET: mine, AUTH_SECRET: theirs, AUTH_URL: 'https://other.example.com' }),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^error: NEXTAUTH_SECRET and AUTH_SECRET \(its Auth.js v5 name\) are both set, to different values.*Fix: set only one of NEXTAUTH_SECRET and AUTH_SECRET/,
      ),
      expect.stringMatching(
        /^error: NEXTAUTH_URL and AUTH_URL \(its Auth.js v5 name\) are both set, to different values/,
      ),
    ]);
    expect(errors.join('\n')).not.toContain(mine);
    expect(errors.join('\n')).not.toContain(theirs);
  });

  it('checks a value read under the alias with the same rules, naming the alias', () => {
    const errors = errorsOf(
      environment({
        NEXTAUTH_SECRET: undefined,
        AUTH_SECRET: 'password-password',
        NEXTAUTH_URL: undefined,
        AUTH_URL: 'shop.example.com',
      }),
    );
    expect(errors).toEqual([
      expect.stringMatching(/^error: AUTH_SECRET is too weak/),
      expect.stringMatching(/^error: AUTH_URL must be an absolute URL/),
    ]);
  });

  it('says the variable is not set under either name', () => {
    expect(errorsOf(environment({ NEXTAUTH_SECRET: undefined }))).toEqual([
      expect.stringMatching(/^error: NEXTAUTH_SECRET is not set \(nor AUTH_SECRET, its Auth.js v5 name\)\. Fix: /),
    ]);
  });
});
