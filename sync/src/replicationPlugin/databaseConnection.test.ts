import { connectionStringWithPassword, describeDatabase } from './databaseConnection';

describe('the replication database connection', () => {
  it('takes DATABASE_PASSWORD when DATABASE_URL has no password', () => {
    const url = new URL(connectionStringWithPassword('postgresql://app@127.0.0.2:5432/db', 'p@ss/word'));
    expect(decodeURIComponent(url.password)).toBe('p@ss/word');
    expect(url.username).toBe('app');
  });

  it('keeps a password that is already in DATABASE_URL', () => {
    expect(connectionStringWithPassword('postgresql://app:own@h:5432/db', 'other')).toBe('postgresql://app:own@h:5432/db');
  });

  it('is described without user or password', () => {
    expect(describeDatabase('postgresql://app:secret@127.0.0.2:5432/db')).toBe('127.0.0.2:5432/db');
  });
});
