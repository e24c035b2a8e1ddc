/**
 * NextAuth v4 configuration: credentials (email + password against PostgreSQL), JWT sessions in a cookie sealed
 * with the shared NEXTAUTH_SECRET (see sessionCodec), no session table. Built from the validated config on first
 * use, never at module load (`next build` has no secrets).
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { appConfig } from '../config';
import { log } from '../log';
import { findUserForSignIn } from '../users/usersRepository';
import { signInCredentials } from '../users/userSchemas';
import { authErrorMessage } from './authErrorMessage';
import { passwordMatches, spendPasswordCheckTime } from './passwords';
import { nodeSessionCodec } from './nodeSessionCodec';
import { withSignInLimit } from './signInLimiter';

export const SIGN_IN_PATH = '/signin';
/** Sessions last a working week after the last visit; each visit re-seals the cookie (rolling). */
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

const OPTIONS_KEY = Symbol.for('msk.app.authOptions');
type OptionsHolder = { [OPTIONS_KEY]?: NextAuthOptions };

/** NextAuth's cookie names depend on the scheme of NEXTAUTH_URL (`__Secure-` prefix for https). */
export function usesSecureCookies(): boolean {
  return appConfig().nextAuthUrl.startsWith('https://');
}

export function authOptions(): NextAuthOptions {
  const holder = globalThis as OptionsHolder;
  if (holder[OPTIONS_KEY]) return holder[OPTIONS_KEY];
  const config = appConfig();
  const codec = nodeSessionCodec();
  const options: NextAuthOptions = {
    secret: config.nextAuthSecret,
    useSecureCookies: usesSecureCookies(),
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_SECONDS },
    jwt: { maxAge: SESSION_MAX_AGE_SECONDS, encode: codec.encode, decode: codec.decode },
    pages: { signIn: SIGN_IN_PATH },
    providers: [
      CredentialsProvider({
        name: 'Email and password',
        credentials: {
          email: { label: 'Email', type: 'email' },
          password: { label: 'Password', type: 'password' },
        },
        async authorize(credentials, request) {
          const parsed = signInCredentials.safeParse(credentials);
          if (!parsed.success) return null;
          const { email, password } = parsed.data;
          return withSignInLimit(email, request?.headers, async () => {
            const user = await findUserForSignIn(email);
            if (!user) {
              await spendPasswordCheckTime(password);
              return null;
            }
            if (!(await passwordMatches(password, user.passwordHash))) return null;
            return { id: user.id, email: user.email, name: user.name, role: user.role };
          });
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.role = user.role;
        }
        return token;
      },
      session({ session, token }) {
        session.user = {
          id: token.sub ?? '',
          email: token.email ?? '',
          name: token.name ?? '',
          role: token.role ?? 'member',
        };
        return session;
      },
    },
    events: {
      signIn({ user }) {
        log().info({ userId: user.id }, 'user signed in');
      },
    },
    // NextAuth's own messages as JSON lines; only the code and the error's message, never cookies or tokens.
    logger: {
      error(code, metadata) {
        const message = authErrorMessage(metadata);
        log().error({ code, error: message }, `[next-auth][error][${code}] ${message ?? ''}`.trim());
      },
      warn(code) {
        log().warn({ code }, `[next-auth][warn][${code}]`);
      },
      debug() {},
    },
  };
  holder[OPTIONS_KEY] = options;
  return options;
}
