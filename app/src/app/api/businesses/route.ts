import { businessInput } from '@/server/businesses/businessSchemas';
import { createBusiness, listBusinesses } from '@/server/businesses/businessesRepository';
import { json, readJsonBody, validationFailed } from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';

export const GET = apiRoute(async () => json({ businesses: await listBusinesses() }));

export const POST = apiRoute(async (request) => {
  const read = await readJsonBody(request);
  if ('response' in read) return read.response;
  const parsed = businessInput.safeParse(read.body);
  if (!parsed.success) return validationFailed(parsed.error);
  const business = await createBusiness(parsed.data);
  return json(business, 201, { location: `/api/businesses/${business.id}` });
});
