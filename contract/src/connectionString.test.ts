import { connectionStringWithPassword } from './connectionString';

describe('the database connection string', () => {
  it('takes DATABASE_PASSWORD when DATABASE_URL has no password', () => {
    const url = connectionStringWithPassword(
      'postgresql://app@localhost:5432/multi_business_db',
      's3cr3t/with:odd@chars',
    );
    const parsed = new URL(url);
    expect(decodeURIComponent(parsed.password)).toBe('s3cr3t/with:odd@chars');
    expect(parsed.username).toBe('app');
    expect(parsed.pathname).toBe('/multi_business_db');
    expect(parsed.host).toBe('localhost:5432');
  });

  it('keeps the password of DATABASE_URL when it has one', () => {
    const original = 'postgresql://app:inurl@localhost:5432/db';
    expect(connectionStringWithPassword(original, 'ignored-password')).toBe(original);
  });

  it('keeps the query parameters when it adds the password', () => {
    const url = new URL(
      connectionStringWithPassword(
        'postgresql://msk_app@db:5432/db?sslmode=verify-full&sslrootcert=/etc/msk/ca.pem',
        'pw',
      ),
    );
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.get('sslrootcert')).toBe('/etc/msk/ca.pem');
  });

  it('leaves a URL without password alone when no DATABASE_PASSWORD is set', () => {
    const original = 'postgresql://app@localhost:5432/db';
    expect(connectionStringWithPassword(original, undefined)).toBe(original);
  });
});
