/**
 * NextAuth v4: email + password against desk_users (bcrypt), JWT sessions sealed with AUTH_SECRET. Nothing about a
 * session is stored, so a cookie made by one node is read by every node that has the same secret.
 */
import bcrypt from 'bcrypt';
import { getServerSession, type NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { z } from 'zod';
import { pool } from './database';
import { deskSettings } from './settings';

export const BCRYPT_COST = 12;
/** Compared against when the email is unknown, so both answers take as long. */
const UNKNOWN_USER_HASH = bcrypt.hashSync('field-desk: no such user', BCRYPT_COST);

const credentialsSchema = z.object({ email: z.email().max(254), password: z.string().min(1).max(200) });

let options: NextAuthOptions | undefined;

export function authOptions(): NextAuthOptions {
  if (options) return options;
  const settings = deskSettings();
  options = {
    secret: settings.authSecret,
    useSecureCookies: settings.authUrl.startsWith('https://'),
    session: { strategy: 'jwt', maxAge: 8 * 60 * 60 },
    providers: [
      CredentialsProvider({
        name: 'Field Desk',
        credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
        async authorize(credentials) {
          const parsed = credentialsSchema.safeParse(credentials);
          if (!parsed.success) return null;
          const email = parsed.data.email.toLowerCase();
          const { rows } = await pool().query<{
            id: string;
            email: string;
            display_name: string;
            password_hash: string;
          }>('SELECT id, email, display_name, password_hash FROM desk_users WHERE email = $1', [email]);
          const user = rows[0];
          const matches = await bcrypt.compare(parsed.data.password, user?.password_hash ?? UNKNOWN_USER_HASH);
          return user && matches ? { id: user.id, email: user.email, name: user.display_name } : null;
        },
      }),
    ],
    callbacks: {
      session({ session, token }) {
        if (session.user) Object.assign(session.user, { id: token.sub ?? '' });
        return session;
      },
    },
  };
  return options;
}

export interface DeskUser {
  id: string;
  email: string;
  name: string;
}

export async function currentUser(): Promise<DeskUser | undefined> {
  const session = await getServerSession(authOptions());
  const user = session?.user as { id?: string; email?: string | null; name?: string | null } | undefined;
  if (!user?.email) return undefined;
  return { id: user.id ?? '', email: user.email, name: user.name ?? user.email };
}
