/**
 * JSON answers of the API, all shaped { error, message, ... } when something is wrong, so an integration can
 * branch on `error` and show `message`.
 */
import type { ZodError, ZodType, output } from 'zod';
import { describeFieldErrors, fieldErrors } from '../validation';

export function json(data: unknown, status = 200, headers?: Record<string, string>): Response {
  return Response.json(data, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

export function noContent(): Response {
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
}

export function apiError(status: number, error: string, message: string, extra?: Record<string, unknown>): Response {
  return json({ error, message, ...extra }, status);
}

export function unauthorized(): Response {
  return apiError(401, 'unauthorized', 'sign in first: this request has no valid session cookie');
}

/** A readable session that could not be checked (database down): retry, the user is not signed out. */
export function sessionUnverifiable(): Response {
  return json(
    {
      error: 'session_unverifiable',
      message: 'your session could not be checked right now (the database is not answering): try again shortly',
    },
    503,
    { 'retry-after': '2' },
  );
}

/** The database stopped answering (restart, failover): the request was not acknowledged, retry. */
export function databaseUnavailable(): Response {
  return json(
    {
      error: 'database_unavailable',
      message:
        'the database is not answering right now (restarting or unreachable): this request was not confirmed, try again shortly',
    },
    503,
    { 'retry-after': '2' },
  );
}

export function forbidden(message: string): Response {
  return apiError(403, 'forbidden', message);
}

export function notFound(what: string, id: string): Response {
  return apiError(404, 'not_found', `there is no ${what} with id ${JSON.stringify(id)}`);
}

/** 400 naming each field that is wrong: { error: 'validation_failed', message, fields: { name: 'must not be empty' } }. */
export function validationFailed(error: ZodError): Response {
  const fields = fieldErrors(error);
  return apiError(400, 'validation_failed', describeFieldErrors(fields), { fields });
}

/** The body as JSON, or the 4xx answer to give instead. */
export async function readJsonBody(request: Request): Promise<{ body: unknown } | { response: Response }> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) {
    return {
      response: apiError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json'),
    };
  }
  try {
    return { body: await request.json() };
  } catch {
    return { response: apiError(400, 'invalid_json', 'the body is not valid JSON') };
  }
}

/** The body parsed by `schema`, or the 4xx answer to give instead (415, 400 invalid_json, 400 validation_failed). */
export async function readValidBody<S extends ZodType>(
  request: Request,
  schema: S,
): Promise<{ data: output<S> } | { response: Response }> {
  const read = await readJsonBody(request);
  if ('response' in read) return read;
  const parsed = schema.safeParse(read.body);
  return parsed.success ? { data: parsed.data } : { response: validationFailed(parsed.error) };
}
