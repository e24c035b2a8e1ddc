import { appConfig } from '@/server/config';
import { json } from '@/server/http/apiResponses';
import { currentUser } from '@/server/auth/session';
import { headerReader, requestOrigin } from '@/server/http/requestOrigin';
import { evaluateReadiness } from '@/server/readiness/nodeReadiness';
import { publicReadiness } from '@/server/readiness/readiness';
import { isAdmin } from '@/server/users/adminCheck';

/**
 * Details (node identity, database error, migration names, peers) only for a process on this machine talking to the
 * node directly (probes, `npm start`, an operator's curl) or a signed-in admin; everyone else gets the public answer.
 */
async function mayReadDetails(request: Request): Promise<boolean> {
  if (requestOrigin(headerReader(request.headers), appConfig().trustedProxies).directFromLoopback) return true;
  try {
    const user = await currentUser();
    return user !== undefined && (await isAdmin(user));
  } catch {
    return false; // no database, no admin check: the public answer
  }
}

/** Readiness: database reachable, migrations applied, configuration valid, and peers agree on shared secrets. */
export async function GET(request: Request): Promise<Response> {
  const report = await evaluateReadiness();
  if (await mayReadDetails(request)) return json(report.body, report.httpStatus);
  const answer = publicReadiness(report);
  return json(answer.body, answer.httpStatus);
}
