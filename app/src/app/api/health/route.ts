import { nodeIdentity } from '@/server/config';
import { json } from '@/server/http/apiResponses';

/** Liveness: the process is up and serving. Touches nothing else. */
export function GET(): Response {
  return json({ status: 'ok', node: nodeIdentity() });
}
