/**
 * Runs before every page and API request (Node.js runtime): without a readable session, pages redirect to the
 * sign-in page and the API answers 401. It opens the cookie with the same decode as NextAuth (current and
 * previous secrets), so a rotation never bounces anyone here. Route handlers and pages check again themselves.
 */
import { getToken } from 'next-auth/jwt';
import { NextResponse, type NextRequest } from 'next/server';
import { SIGN_IN_PATH, usesSecureCookies } from './server/auth/authOptions';
import { nodeSessionCodec } from './server/auth/nodeSessionCodec';
import { appConfig } from './server/config';
import { unauthorized } from './server/http/apiResponses';

export async function proxy(request: NextRequest): Promise<Response> {
  const { pathname, search } = request.nextUrl;
  if (pathname === SIGN_IN_PATH) return NextResponse.next();
  const token = await getToken({
    req: request,
    secret: appConfig().nextAuthSecret,
    secureCookie: usesSecureCookies(),
    decode: nodeSessionCodec().decode,
  });
  if (token?.sub) return NextResponse.next();
  if (pathname.startsWith('/api/')) return unauthorized();
  const signIn = new URL(`${SIGN_IN_PATH}?callbackUrl=${encodeURIComponent(pathname + search)}`, request.url);
  return NextResponse.redirect(signIn);
}

export const config = {
  // Everything but Next.js assets and the endpoints that must answer without a session.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|icon.svg|api/auth|api/health|api/ready|api/build).*)'],
};
