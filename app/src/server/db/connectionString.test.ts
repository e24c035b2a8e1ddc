import { Client } from 'pg';
import { connectionStringWithPassword } from './connectionString';

describe('the database connection string', () => {
  it('takes DATABASE_PASSWORD when DATABASE_URL has no password', () => {
    const url = connectionStringWithPassword('postgresql://app@localhost:5432/multi_business_db', 's3cr3t/with:odd@chars');
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

  // docs/database-topology.md (HA PostgreSQL) states these: TLS is set in DATABASE_URL and read by node-postgres.
  describe('TLS parameters (sslmode) for a database on a network', () => {
    /** What node-postgres makes of the URL the app hands it (no connection is opened). */
    const sslOf = (query: string) => {
      const url = connectionStringWithPassword(`postgresql://msk_app@pg-rw.db.svc:5432/multi_business_db?${query}`, 'pw');
      return (new Client({ connectionString: url }) as unknown as { connectionParameters: { ssl: unknown } }).connectionParameters.ssl;
    };

    it('keeps the query parameters when it adds the password', () => {
      const url = new URL(connectionStringWithPassword('postgresql://msk_app@db:5432/db?sslmode=verify-full&sslrootcert=/etc/msk/ca.pem', 'pw'));
      expect(url.searchParams.get('sslmode')).toBe('verify-full');
      expect(url.searchParams.get('sslrootcert')).toBe('/etc/msk/ca.pem');
    });

    it('verifies the certificate with verify-full, and also with require (node-postgres, unlike libpq)', () => {
      for (const mode of ['verify-full', 'require']) {
        const ssl = sslOf(`sslmode=${mode}`);
        expect(ssl).toEqual(expect.any(Object));
        expect((ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized).not.toBe(false);
      }
    });

    it('encrypts without verifying with no-verify, or with require in libpq compatibility', () => {
      expect(sslOf('sslmode=no-verify')).toMatchObject({ rejectUnauthorized: false });
      expect(sslOf('sslmode=require&uselibpqcompat=true')).toMatchObject({ rejectUnauthorized: false });
    });

    it('turns TLS off with disable', () => {
      expect(sslOf('sslmode=disable')).toBe(false);
    });
  });

  it('leaves a URL without password alone when no DATABASE_PASSWORD is set', () => {
    const original = 'postgresql://app@localhost:5432/db';
    expect(connectionStringWithPassword(original, undefined)).toBe(original);
  });
});
