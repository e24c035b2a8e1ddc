import { businessInput, businessPatch } from '@/server/businesses/businessSchemas';
import { deleteBusiness, findBusiness, updateBusiness } from '@/server/businesses/businessesRepository';
import { json, noContent, notFound, readValidBody } from '@/server/http/apiResponses';
import { recordRoute } from '@/server/http/apiRoute';

export const GET = recordRoute('business', async (_request, _user, id) => {
  const business = await findBusiness(id);
  return business ? json(business) : notFound('business', id);
});

/** PATCH changes the fields given; PUT replaces the whole business (fields left out become null/defaults). */
const change = (schema: typeof businessInput | typeof businessPatch) =>
  recordRoute('business', async (request, _user, id) => {
    const body = await readValidBody(request, schema);
    if ('response' in body) return body.response;
    const business = await updateBusiness(id, body.data);
    return business ? json(business) : notFound('business', id);
  });

export const PATCH = change(businessPatch);
export const PUT = change(businessInput);

export const DELETE = recordRoute('business', async (_request, _user, id) =>
  (await deleteBusiness(id)) ? noContent() : notFound('business', id),
);
