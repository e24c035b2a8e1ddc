import { randomBytes } from 'node:crypto';
import { accountTag } from './signInLimiter';

describe('the account tag in sign-in logs', () => {
  it('is stable under one key and differs under another, so nobody can look an email up', () => {
    const key = randomBytes(32);
    expect(accountTag('ada@example.com', key)).toBe(accountTag('ada@example.com', key));
    expect(accountTag('ada@example.com', key)).toMatch(/^acct:[0-9a-f]{12}$/);
    expect(accountTag('ada@example.com', randomBytes(32))).not.toBe(accountTag('ada@example.com', key));
  });
});
