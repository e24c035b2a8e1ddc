import { deskSettings } from './settings';

const valid = {
  AUTH_SECRET: 'a'.repeat(44),
  AUTH_URL: 'http://desk.example:8080/',
  DATABASE_URL: 'postgresql://desk@localhost:5432/desk',
};

describe('Field Desk settings', () => {
  it('reads the Auth.js v5 names, without a trailing slash on AUTH_URL', () => {
    expect(deskSettings({ ...valid })).toEqual({
      authSecret: valid.AUTH_SECRET,
      authUrl: 'http://desk.example:8080',
      databaseUrl: valid.DATABASE_URL,
      seedUser: undefined,
    });
  });

  it('names every missing or bad variable and its rule, never a value', () => {
    const secret = 'short-secret-value';
    let message = '';
    try {
      deskSettings({ AUTH_SECRET: secret, AUTH_URL: 'ftp://x', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/AUTH_SECRET: must be at least 32 characters/);
    expect(message).toMatch(/AUTH_URL: must be the http\(s\) URL users open/);
    expect(message).toMatch(/DATABASE_URL: must be a postgresql:\/\/ URL/);
    expect(message).not.toContain(secret);
    expect(() => deskSettings({})).toThrow(/AUTH_SECRET: is required/);
  });

  it("requires the first user's password with its email, and lower-cases the email", () => {
    expect(() => deskSettings({ ...valid, DESK_SEED_EMAIL: 'a@b.example' })).toThrow(
      /DESK_SEED_PASSWORD: is required when DESK_SEED_EMAIL is set/,
    );
    expect(
      deskSettings({ ...valid, DESK_SEED_EMAIL: 'Boss@Desk.example', DESK_SEED_PASSWORD: 'long-enough-pass' }).seedUser,
    ).toEqual({
      email: 'boss@desk.example',
      password: 'long-enough-pass',
    });
  });
});
