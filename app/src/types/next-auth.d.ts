import type { DefaultSession } from 'next-auth';
import type { UserRole } from '../server/users/userSchemas';

declare module 'next-auth' {
  interface Session {
    user: { id: string; email: string; name: string; role: UserRole } & Omit<DefaultSession['user'], 'email' | 'name'>;
    /** The cookie is readable but could not be checked against the database for this request (database down). */
    unverified?: boolean;
  }
  interface User {
    role: UserRole;
    /** Digest of the password hash at sign-in (see sessionStanding). */
    credentialStamp: string;
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    role?: UserRole;
    /** Credential stamp: the session stands while the user's password hash still has this digest. */
    cred?: string;
  }
}
