import { Client } from 'pg';

/** One query on its own connection (opened and closed around it): for tests that look into a node's database. */
export async function queryOnce(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}
