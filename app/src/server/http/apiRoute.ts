/**
 * The wrapper every API route handler goes through: the session (the same getServerSession + decode as the
 * pages), 401 without one, 503 when the session could not be checked (database down: an API client must retry,
 * not sign in again), 503 database_unavailable when the database stops answering mid-request, and a JSON 500
 * that hides internals for anything unexpected.
 */
import { currentSession, type SignedInUser } from '../auth/session';
import { isDatabaseUnavailable } from '../db/databaseUnavailable';
import { log } from '../log';
import { apiError, databaseUnavailable, sessionUnverifiable, unauthorized } from './apiResponses';

type Params = Record<string, string>;
export interface RouteContext<P extends Params> {
  params: Promise<P>;
}

export function apiRoute<P extends Params = Params>(
  handler: (request: Request, user: SignedInUser, params: P) => Promise<Response>,
): (request: Request, context: RouteContext<P>) => Promise<Response> {
  return async (request, context) => {
    try {
      const { user, unverified } = await currentSession();
      if (!user) return unverified ? sessionUnverifiable() : unauthorized();
      return await handler(request, user, await context.params);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        log().warn(
          {
            method: request.method,
            path: new URL(request.url).pathname,
            error: error instanceof Error ? error.message : String(error),
          },
          'API request found the database unavailable',
        );
        return databaseUnavailable();
      }
      log().error(
        {
          method: request.method,
          path: new URL(request.url).pathname,
          error: error instanceof Error ? error.message : String(error),
        },
        'API request failed',
      );
      return apiError(500, 'internal_error', 'the server could not complete this request; see its log');
    }
  };
}
