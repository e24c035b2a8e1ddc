/**
 * The first user (DESK_SEED_EMAIL / DESK_SEED_PASSWORD), created at start when no user has that email. Every node
 * does this; the key is derived from the email, so every node's seed is the same row and replication keeps one.
 */
import bcrypt from 'bcrypt';
import { BCRYPT_COST } from './auth';
import { pool } from './database';
import { seedUserId } from './ids';

export async function seedFirstUser(user: { email: string; password: string }): Promise<boolean> {
  const hash = await bcrypt.hash(user.password, BCRYPT_COST);
  const result = await pool().query(
    'INSERT INTO desk_users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [seedUserId(user.email), user.email, user.email.split('@')[0], hash],
  );
  return result.rowCount === 1;
}
