/**
 * NextAuth v4 configuration: credentials (email + password against PostgreSQL), JWT sessions in a cookie sealed
 * with the shared NEXTAUTH_SECRET (see sessionCodec), no session table. Built from the validated config on first
 * use, never at module load (`next build` has no secrets).
 */
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { appConfig } from '../config';
import { log } from '../log';
import { countSafely, type SessionRefusalReason } from '../metrics/appMetrics';
import { findUserForSignIn } from '../users/usersRepository';
import { signInCredentials } from '../users/userSchemas';
import { authErrorMessage } from './authErrorMessage';
import { passwordMatches, spendPasswordCheckTime } from './passwords';
import { nodeSessionCodec } from './nodeSessionCodec';
import { nodeSessionStanding } from './nodeSessionStanding';
import { credentialStamp } from './sessionStanding';
import { withSignInLimit } from './signInLimiter';
import { processSingleton } from '../processSingleton';

export const SIGN_IN_PATH = '/signin';
/** Sessions last a working week after the last visit; each visit re-seals the cookie (rolling). */
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 60 * 60;

/** NextAuth's cookie names depend on the scheme of NEXTAUTH_URL (`__Secure-` prefix for https). */
export function usesSecureCookies(): boolean {
  return appConfig().nextAuthUrl.startsWith('https://');
}

/** Thrown from the jwt callback for a session that no longer stands; NextAuth logs it as JWT_SESSION_ERROR. */
export class SessionRevokedError extends Error {
  override readonly name = 'SessionRevokedError';
  constructor(reason: string) {
    super(`session revoked: ${reason}`);
  }
}

const REFUSAL_REASON: Readonly<
  Record<'user deleted' | 'password changed' | 'no credential stamp', SessionRefusalReason>
> = {
  'user deleted': 'deleted-user',
  'password changed': 'stale-credential-stamp',
  'no credential stamp': 'stale-credential-stamp',
};

/** Tokens whose standing could not be checked in this request (the session callback then reports no user). */
const unverifiedTokens = new WeakSet<object>();

export function authOptions(): NextAuthOptions {
  return processSingleton('msk.app.authOptions', createAuthOptions);
}

function createAuthOptions(): NextAuthOptions {
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
          if (!parsed.success) {
            countSafely((metrics) => metrics.signIns.inc({ result: 'failure' }));
            return null;
          }
          const { email, password } = parsed.data;
          return withSignInLimit(email, request?.headers, async () => {
            const user = await findUserForSignIn(email);
            if (!user) {
              await spendPasswordCheckTime(password);
              return null;
            }
            if (!(await passwordMatches(password, user.passwordHash))) return null;
            return {
              id: user.id,
              email: user.email,
              name: user.name,
              role: user.role,
              credentialStamp: credentialStamp(user.passwordHash),
            };
          });
        },
      }),
    ],
    callbacks: {
      // Every session read passes here: the cookie stands only while its user exists with the same password, and
      // the role is the one stored now (see sessionStanding). A revoked session throws: NextAuth then answers
      // with no session and /api/auth/session clears the cookie.
      async jwt({ token, user }) {
        if (user) {
          token.sub = user.id;
          token.role = user.role;
          token.cred = user.credentialStamp;
          return token;
        }
        const standing = await nodeSessionStanding().check(token.sub, token.cred);
        if (standing.standing === 'revoked') {
          countSafely((metrics) => metrics.sessionsRefused.inc({ reason: REFUSAL_REASON[standing.reason] }));
          throw new SessionRevokedError(standing.reason);
        }
        if (standing.standing === 'unknown') {
          // Signed out for this request only (fail closed); the cookie is kept for when the database is back.
          log().warn(
            { error: standing.error },
            'could not check a session against the database; treating the request as signed out',
          );
          unverifiedTokens.add(token);
          return token;
        }
        token.role = standing.role;
        return token;
      },
      session({ session, token }) {
        if (unverifiedTokens.has(token)) session.unverified = true;
        session.user = {
          id: unverifiedTokens.has(token) ? '' : (token.sub ?? ''),
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
        const error = metadata instanceof Error ? metadata : (metadata as { error?: unknown } | undefined)?.error;
        if (error instanceof SessionRevokedError) {
          // Expected after a delete or a password change: not an error of this node.
          log().info({ code }, message ?? 'session revoked');
          return;
        }
        log().error({ code, error: message }, `[next-auth][error][${code}] ${message ?? ''}`.trim());
      },
      warn(code) {
        log().warn({ code }, `[next-auth][warn][${code}]`);
      },
      debug() {},
    },
  };
  return options;
}
