/**
 * Reading the signed-in user wherever a request is handled: pages, Server Actions and route handlers. All go
 * through getServerSession with authOptions(), so all use the same session decode (current + previous secrets).
 */
import { getServerSession, type Session } from 'next-auth';
import { redirect } from 'next/navigation';
import { authOptions, SIGN_IN_PATH } from './authOptions';

export type SignedInUser = Session['user'];

export async function currentUser(): Promise<SignedInUser | undefined> {
  return (await currentSession()).user;
}

/**
 * The signed-in user, or why there is none: `unverified` when the request carries a readable session whose user
 * could not be checked because the database did not answer (the caller is not signed out: ask again later).
 */
export async function currentSession(): Promise<{ user?: SignedInUser; unverified: boolean }> {
  const session = await getServerSession(authOptions());
  if (session?.user?.id) return { user: session.user, unverified: false };
  return { unverified: session?.unverified === true };
}

/** For pages and Server Actions: the user, or a redirect to the sign-in page. */
export async function requireUser(returnTo = '/businesses'): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) redirect(`${SIGN_IN_PATH}?callbackUrl=${encodeURIComponent(returnTo)}`);
  return user;
}
