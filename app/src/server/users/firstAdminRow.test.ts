import bcrypt from 'bcrypt';
import { validate, version } from 'uuid';
import { derivedAdminPassword, firstAdminId, firstAdminSalt } from './firstAdminRow';

const SECRET = 'c2VjcmV0LXNoYXJlZC1ieS1ldmVyeS1ub2RlLW9mLWEtY2x1c3Rlcg==';

describe('the first admin row every node derives', () => {
  it('has the same id on every node of a cluster, a valid UUID version 8', () => {
    const id = firstAdminId(SECRET, 'admin@example.com');
    expect(firstAdminId(SECRET, 'admin@example.com')).toBe(id);
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(8);
  });

  it('differs between clusters and between emails', () => {
    const id = firstAdminId(SECRET, 'admin@example.com');
    expect(firstAdminId(`${SECRET}x`, 'admin@example.com')).not.toBe(id);
    expect(firstAdminId(SECRET, 'boss@example.com')).not.toBe(id);
  });

  it('hashes the password to the same bcrypt hash on every node, and the hash verifies', async () => {
    const salt = firstAdminSalt(SECRET, 'admin@example.com');
    expect(salt).toMatch(/^\$2b\$12\$[./A-Za-z0-9]{22}$/);
    const first = await bcrypt.hash('correct horse battery', salt);
    expect(await bcrypt.hash('correct horse battery', firstAdminSalt(SECRET, 'admin@example.com'))).toBe(first);
    expect(await bcrypt.compare('correct horse battery', first)).toBe(true);
    expect(await bcrypt.compare('wrong', first)).toBe(false);
  });

  it('derives one generated password per cluster, long enough to sign in with', () => {
    const password = derivedAdminPassword(SECRET, 'admin@example.com');
    expect(password).toBe(derivedAdminPassword(SECRET, 'admin@example.com'));
    expect(password).toHaveLength(24);
    expect(derivedAdminPassword(`${SECRET}x`, 'admin@example.com')).not.toBe(password);
  });
});
