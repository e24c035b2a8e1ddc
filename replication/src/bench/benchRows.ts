/** The benchmark's writes: app-shaped users rows, one at a time or many per statement. */
import type { Client, Pool } from 'pg';
import { uuidV7 } from '../testing/appShapedTables';

function usersColumns(ids: string[]) {
  return [
    ids,
    ids.map((id) => `u-${id.slice(-12)}@bench.example`),
    ids.map(() => 'Bench User'),
    ids.map(() => '$2b$10$abcdefghijklmnopqrstuv'),
    ids.map(() => 'member'),
  ];
}
const INSERT_MANY = `INSERT INTO users (id, email, name, password_hash, role)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])`;
const INSERT_ONE = 'INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5)';

export async function insertOne(client: Client | Pool, id = uuidV7()): Promise<string> {
  const [ids, emails, names, hashes, roles] = usersColumns([id]);
  await client.query(INSERT_ONE, [ids![0], emails![0], names![0], hashes![0], roles![0]]);
  return id;
}

export async function insertMany(client: Client | Pool, count: number): Promise<void> {
  const ids = Array.from({ length: count }, () => uuidV7());
  await client.query(INSERT_MANY, usersColumns(ids));
}
