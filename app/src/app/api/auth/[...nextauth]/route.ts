import NextAuth from 'next-auth';
import { authOptions } from '@/server/auth/authOptions';

type Context = { params: Promise<{ nextauth: string[] }> };

// Options are built on the first request (never at build time, which has no secrets).
function handler(request: Request, context: Context): Promise<Response> {
  return NextAuth(request as never, context as never, authOptions());
}

export { handler as GET, handler as POST };
