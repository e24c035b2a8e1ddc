import { connectionStringWithPassword } from '@msk/contract';
import { Client } from 'pg';

// docs/database-topology.md (HA PostgreSQL) states these: TLS is set in DATABASE_URL and read by node-postgres.
describe('TLS parameters (sslmode) for a database on a network', () => {
  /** What node-postgres makes of the URL the app hands it (no connection is opened). */
  const sslOf = (query: string) => {
    const url = connectionStringWithPassword(`postgresql://msk_app@pg-rw.db.svc:5432/multi_business_db?${query}`, 'pw');
    return (new Client({ connectionString: url }) as unknown as { connectionParameters: { ssl: unknown } })
      .connectionParameters.ssl;
  };

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
