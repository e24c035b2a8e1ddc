/** Password hashes: bcrypt (native, works in the standalone output). */
import bcrypt from 'bcrypt';
import { processSingleton } from '../processSingleton';

/** 2^12 rounds: about a quarter of a second per hash on the project's 2-core machines. */
export const BCRYPT_COST = 12;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

export function passwordMatches(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * Compares against a throwaway hash when the email is unknown, so a failed sign-in takes as long whether or not
 * the account exists (no user enumeration by timing).
 */
export async function spendPasswordCheckTime(password: string): Promise<void> {
  const dummyHash = processSingleton('msk.app.dummyPasswordHash', () =>
    bcrypt.hash('no account has this password', BCRYPT_COST),
  );
  await bcrypt.compare(password, await dummyHash);
}
