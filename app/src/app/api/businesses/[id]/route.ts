import { businessInput, businessPatch } from '@/server/businesses/businessSchemas';
import { deleteBusiness, findBusiness, updateBusiness } from '@/server/businesses/businessesRepository';
import { json, noContent, notFound, readJsonBody, validationFailed } from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';
import { isUuid } from '@/server/ids';

export const GET = apiRoute<{ id: string }>(async (_request, _user, { id }) => {
  const business = isUuid(id) ? await findBusiness(id) : undefined;
  return business ? json(business) : notFound('business', id);
});

/** PATCH changes the fields given; PUT replaces the whole business (fields left out become null/defaults). */
async function change(
  request: Request,
  id: string,
  schema: typeof businessInput | typeof businessPatch,
): Promise<Response> {
  if (!isUuid(id)) return notFound('business', id);
  const read = await readJsonBody(request);
  if ('response' in read) return read.response;
  const parsed = schema.safeParse(read.body);
  if (!parsed.success) return validationFailed(parsed.error);
  const business = await updateBusiness(id, parsed.data);
  return business ? json(business) : notFound('business', id);
}

export const PATCH = apiRoute<{ id: string }>((request, _user, { id }) => change(request, id, businessPatch));
export const PUT = apiRoute<{ id: string }>((request, _user, { id }) => change(request, id, businessInput));

export const DELETE = apiRoute<{ id: string }>(async (_request, _user, { id }) => {
  return isUuid(id) && (await deleteBusiness(id)) ? noContent() : notFound('business', id);
});
