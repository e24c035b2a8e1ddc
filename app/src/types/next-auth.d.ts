import type { DefaultSession } from 'next-auth';
import type { UserRole } from '../server/users/userSchemas';

declare module 'next-auth' {
  interface Session {
    user: { id: string; email: string; name: string; role: UserRole } & Omit<DefaultSession['user'], 'email' | 'name'>;
  }
  interface User {
    role: UserRole;
  }
}

declare module 'next-auth/jwt' {
  interface JWT {
    role?: UserRole;
  }
}
