/**
 * Admin rights are read from the database on every use, not from the session cookie, so demoting or deleting an
 * admin takes effect at once on every node (the cookie's role is only for display).
 */
import type { SignedInUser } from '../auth/session';
import { findUser } from './usersRepository';

export async function isAdmin(user: SignedInUser): Promise<boolean> {
  const stored = await findUser(user.id);
  return stored?.role === 'admin';
}
