import { appConfig } from '@/server/config';
import { currentAppBuild } from '@/server/build/buildIdentity';
import { apiError, json } from '@/server/http/apiResponses';
import { headerReader, requestOrigin } from '@/server/http/requestOrigin';
import { log } from '@/server/log';

/**
 * The build this node runs, for the sync service beside it (it compares builds with its peers): only for a
 * process on this machine talking to the node directly; everyone else gets 404, as if the route did not exist.
 */
export async function GET(request: Request): Promise<Response> {
  if (!requestOrigin(headerReader(request.headers), appConfig().trustedProxies).directFromLoopback) {
    return apiError(404, 'not_found', 'no such route');
  }
  try {
    return json(await currentAppBuild());
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log().error({ error: message }, 'cannot tell the build this node runs');
    return apiError(500, 'build_unknown', `cannot read this build's identity: ${message}`);
  }
}
