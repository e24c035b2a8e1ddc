/**
 * The small JSON API's shared handling: a signed-in user or 401, a bounded JSON body checked by a schema or 400,
 * PostgreSQL's constraint errors as 409 (unique) and 422 (unknown reference), anything else a 500 without details.
 */
import type { z } from 'zod';
import { type DeskUser, currentUser } from './auth';
import { sqlState } from './database';
import { firstProblem } from './deskInput';

const MAX_BODY_BYTES = 16 * 1024;

export const json = (status: number, body: unknown): Response =>
  Response.json(body, { status, headers: { 'cache-control': 'no-store' } });

export function signedIn(handle: (user: DeskUser) => Promise<Response>): () => Promise<Response> {
  return async () => {
    const user = await currentUser();
    if (!user) return json(401, { error: 'sign in first' });
    return handle(user).catch((error: unknown) => {
      process.stderr.write(`field-desk: ${error instanceof Error ? error.message : String(error)}\n`);
      return json(500, { error: 'internal error' });
    });
  };
}

export function create<S extends z.ZodType>(
  schema: S,
  insert: (user: DeskUser, input: z.infer<S>) => Promise<unknown>,
): (request: Request) => Promise<Response> {
  return async (request) =>
    signedIn(async (user) => {
      if (!(request.headers.get('content-type') ?? '').startsWith('application/json'))
        return json(415, { error: 'send application/json' });
      const text = await request.text();
      if (Buffer.byteLength(text) > MAX_BODY_BYTES)
        return json(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return json(400, { error: 'body: not JSON' });
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) return json(400, { error: firstProblem(parsed.error) });
      try {
        return json(201, await insert(user, parsed.data));
      } catch (error) {
        if (sqlState(error) === '23505') return json(409, { error: 'already exists (a unique value is taken)' });
        if (sqlState(error) === '23503') return json(422, { error: 'refers to a record that does not exist' });
        throw error;
      }
    })();
}
