import { fieldErrors } from '../validation';
import { MAX_PASSWORD_BYTES, newUser, signInCredentials, userPatch } from './userSchemas';

describe('user validation', () => {
  it('makes new users members unless told otherwise, with a lowercase email', () => {
    const ada = { email: 'Ada@Example.COM', name: 'Ada', password: 'correct horse battery' };
    expect(newUser.parse(ada)).toEqual({ ...ada, email: 'ada@example.com', role: 'member' });
  });

  it('refuses short passwords and unknown roles, naming both fields', () => {
    const result = newUser.safeParse({ email: 'a@example.com', name: 'A', password: 'short', role: 'owner' });
    expect(fieldErrors(result.error!)).toEqual({
      password: 'must be at least 12 characters',
      role: 'must be one of admin, member',
    });
  });

  it('refuses a password bcrypt would silently cut off', () => {
    const result = userPatch.safeParse({ password: 'é'.repeat(MAX_PASSWORD_BYTES / 2 + 1) });
    expect(fieldErrors(result.error!)).toEqual({ password: `must be at most ${MAX_PASSWORD_BYTES} bytes` });
  });

  it('reads sign-in credentials with the email normalised the way it is stored', () => {
    expect(signInCredentials.parse({ email: ' Ada@Example.com ', password: 'x' })).toEqual({
      email: 'ada@example.com',
      password: 'x',
    });
    expect(signInCredentials.safeParse({ email: 'ada@example.com' }).success).toBe(false);
  });

  it('refuses a sign-in whose email is not an email address, naming the field', () => {
    for (const email of [
      'ada',
      'ada@',
      'admin@example.com#conflict-0123456789ab',
      'ada@example.com, bob@example.com',
      '',
    ]) {
      const result = signInCredentials.safeParse({ email, password: 'x' });
      expect(result.success).toBe(false);
      expect(fieldErrors(result.error!)).toEqual({ email: 'must be an email address such as ada@example.com' });
    }
  });
});
