import { Client } from 'pg';
import { createTestDatabase } from './testDatabase';

describe('the test PostgreSQL server', () => {
  it('gives each caller a fresh, separate database', async () => {
    const a = await createTestDatabase('alpha');
    const b = await createTestDatabase('beta');
    try {
      expect(a.name).not.toBe(b.name);
      const client = new Client({ connectionString: a.url });
      await client.connect();
      await client.query('CREATE TABLE probe (id int)');
      const { rows } = await client.query<{ db: string; version: string }>(
        "SELECT current_database() AS db, current_setting('server_version_num') AS version",
      );
      await client.end();
      expect(rows[0]?.db).toBe(a.name);
      expect(Number(rows[0]?.version)).toBeGreaterThanOrEqual(170000);
      const other = new Client({ connectionString: b.url });
      await other.connect();
      const tables = await other.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'probe'");
      await other.end();
      expect(tables.rowCount).toBe(0);
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
