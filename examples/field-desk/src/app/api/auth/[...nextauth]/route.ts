import NextAuth from 'next-auth';
import { authOptions } from '../../../../server/auth';

type Context = { params: Promise<{ nextauth: string[] }> };

// The options are made on the first request: `next build` has no secrets.
function handler(request: Request, context: Context): Promise<Response> {
  return NextAuth(request as never, context as never, authOptions());
}

export { handler as GET, handler as POST };
