import { businessInput } from '@/server/businesses/businessSchemas';
import { createBusiness, listBusinesses } from '@/server/businesses/businessesRepository';
import { json, readValidBody } from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';

export const GET = apiRoute(async () => json({ businesses: await listBusinesses() }));

export const POST = apiRoute(async (request) => {
  const body = await readValidBody(request, businessInput);
  if ('response' in body) return body.response;
  const business = await createBusiness(body.data);
  return json(business, 201, { location: `/api/businesses/${business.id}` });
});
