import { describeDatabase } from './databaseConnection';

describe('the replication database connection', () => {
  it('is described without user or password', () => {
    expect(describeDatabase('postgresql://app:secret@127.0.0.2:5432/db')).toBe('127.0.0.2:5432/db');
  });
});
