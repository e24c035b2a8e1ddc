/** Users in this node's PostgreSQL. Password hashes never leave this module except for the sign-in check. */
import { DatabaseError } from 'pg';
import { hashPassword } from '../auth/passwords';
import { databasePool, inTransaction } from '../db/pool';
import { RecordTable } from '../db/recordTable';
import { newId } from '../ids';
import type { NewUser, User, UserPatch, UserRole } from './userSchemas';

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  created_at: Date;
  updated_at: Date;
}

const users = new RecordTable<User>('users', { email: 'email', name: 'name', role: 'role' });
const COLUMNS = users.columns;
const UNIQUE_VIOLATION = '23505';

export async function listUsers(): Promise<User[]> {
  const { rows } = await databasePool().query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY email`);
  return rows.map((row) => users.toRecord(row));
}

export function findUser(id: string): Promise<User | undefined> {
  return users.find(id);
}

/** For the credentials check only. */
export async function findUserForSignIn(email: string): Promise<(User & { passwordHash: string }) | undefined> {
  const { rows } = await databasePool().query<UserRow & { password_hash: string }>(
    `SELECT ${COLUMNS}, password_hash FROM users WHERE email = $1`,
    [email],
  );
  const row = rows[0];
  return row && { ...users.toRecord(row), passwordHash: row.password_hash };
}

/** What decides whether a user's sessions still stand (see sessionStanding): the role and the password hash. */
export async function findSessionFacts(id: string): Promise<{ role: UserRole; passwordHash: string } | undefined> {
  const { rows } = await databasePool().query<{ role: UserRole; password_hash: string }>(
    'SELECT role, password_hash FROM users WHERE id = $1',
    [id],
  );
  const row = rows[0];
  return row && { role: row.role, passwordHash: row.password_hash };
}

export type CreateUserResult = { user: User } | { emailTaken: true };

export async function createUser(input: NewUser): Promise<CreateUserResult> {
  const passwordHash = await hashPassword(input.password);
  try {
    const { rows } = await databasePool().query<UserRow>(
      `INSERT INTO users (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [newId(), input.email, input.name, passwordHash, input.role],
    );
    return { user: users.toRecord(rows[0] as UserRow) };
  } catch (error) {
    if (error instanceof DatabaseError && error.code === UNIQUE_VIOLATION) return { emailTaken: true };
    throw error;
  }
}

export type ChangeUserResult = { user: User } | { notFound: true } | { lastAdmin: true };

/** Both checks run under one lock so two admins demoting each other at once cannot leave no admin. */
async function lockAdmins(client: import('pg').PoolClient): Promise<number> {
  await client.query("SELECT id FROM users WHERE role = 'admin' FOR UPDATE");
  const { rows } = await client.query<{ admins: number }>(
    "SELECT count(*)::int AS admins FROM users WHERE role = 'admin'",
  );
  return rows[0]?.admins ?? 0;
}

export async function updateUser(id: string, patch: UserPatch): Promise<ChangeUserResult> {
  const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
  return inTransaction(async (client) => {
    const admins = await lockAdmins(client);
    const { rows: current } = await client.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [
      id,
    ]);
    const user = current[0];
    if (!user) return { notFound: true };
    if (user.role === 'admin' && patch.role === 'member' && admins <= 1) return { lastAdmin: true };
    const { rows } = await client.query<UserRow>(
      `UPDATE users SET name = coalesce($2, name), role = coalesce($3, role), password_hash = coalesce($4, password_hash),
              updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, patch.name ?? null, patch.role ?? null, passwordHash ?? null],
    );
    return { user: users.toRecord(rows[0] as UserRow) };
  });
}

export type DeleteUserResult = { deleted: true } | { notFound: true } | { lastAdmin: true };

export async function deleteUser(id: string): Promise<DeleteUserResult> {
  return inTransaction(async (client) => {
    const admins = await lockAdmins(client);
    const { rows } = await client.query<{ role: UserRole }>('SELECT role FROM users WHERE id = $1 FOR UPDATE', [id]);
    const user = rows[0];
    if (!user) return { notFound: true };
    if (user.role === 'admin' && admins <= 1) return { lastAdmin: true };
    await client.query('DELETE FROM users WHERE id = $1', [id]);
    return { deleted: true };
  });
}
