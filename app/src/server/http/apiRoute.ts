/**
 * The wrapper every API route handler goes through: the session (the same getServerSession + decode as the
 * pages), 401 without one, then the route's guard (e.g. adminsOnly), 503 when the session could not be checked (database down: an API client must retry,
 * not sign in again), 503 database_unavailable when the database stops answering mid-request, and a JSON 500
 * that hides internals for anything unexpected.
 */
import { currentSession, type SignedInUser } from '../auth/session';
import { isDatabaseUnavailable } from '../db/databaseUnavailable';
import { isUuid } from '../ids';
import { log } from '../log';
import { isAdmin } from '../users/adminCheck';
import { apiError, databaseUnavailable, forbidden, notFound, sessionUnverifiable, unauthorized } from './apiResponses';

type Params = Record<string, string>;
export interface RouteContext<P extends Params> {
  params: Promise<P>;
}

/** Checked after the session and before the handler: an answer ends the request there. */
export type RouteGuard = (user: SignedInUser) => Promise<Response | undefined>;

const ADMINS_ONLY = 'only admins manage users';

/** 403 for anyone whose stored role is not admin (read from the database on every request). */
export const adminsOnly: RouteGuard = async (user) => ((await isAdmin(user)) ? undefined : forbidden(ADMINS_ONLY));

export function apiRoute<P extends Params = Params>(
  handler: (request: Request, user: SignedInUser, params: P) => Promise<Response>,
  guard?: RouteGuard,
): (request: Request, context: RouteContext<P>) => Promise<Response> {
  return async (request, context) => {
    try {
      const { user, unverified } = await currentSession();
      if (!user) return unverified ? sessionUnverifiable() : unauthorized();
      const refused = guard && (await guard(user));
      if (refused) return refused;
      return await handler(request, user, await context.params);
    } catch (error) {
      const context = {
        method: request.method,
        path: new URL(request.url).pathname,
        error: error instanceof Error ? error.message : String(error),
      };
      if (isDatabaseUnavailable(error)) {
        log().warn(context, 'API request found the database unavailable');
        return databaseUnavailable();
      }
      log().error(context, 'API request failed');
      return apiError(500, 'internal_error', 'the server could not complete this request; see its log');
    }
  };
}

/**
 * A route under /api/<records>/[id]: the guard first, then an id that is not a UUID answers 404 naming `what`
 * (the same answer as an id with no record), so handlers only ever see well-formed ids.
 */
export function recordRoute(
  what: string,
  handler: (request: Request, user: SignedInUser, id: string) => Promise<Response>,
  guard?: RouteGuard,
): (request: Request, context: RouteContext<{ id: string }>) => Promise<Response> {
  return apiRoute<{ id: string }>(
    async (request, user, { id }) => (isUuid(id) ? handler(request, user, id) : notFound(what, id)),
    guard,
  );
}
