import { apiError, forbidden, json, readJsonBody, validationFailed } from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';
import { isAdmin } from '@/server/users/adminCheck';
import { createUser, listUsers } from '@/server/users/usersRepository';
import { newUser } from '@/server/users/userSchemas';

const ADMINS_ONLY = 'only admins manage users';

export const GET = apiRoute(async (_request, user) => {
  if (!(await isAdmin(user))) return forbidden(ADMINS_ONLY);
  return json({ users: await listUsers() });
});

export const POST = apiRoute(async (request, user) => {
  if (!(await isAdmin(user))) return forbidden(ADMINS_ONLY);
  const read = await readJsonBody(request);
  if ('response' in read) return read.response;
  const parsed = newUser.safeParse(read.body);
  if (!parsed.success) return validationFailed(parsed.error);
  const result = await createUser(parsed.data);
  if ('emailTaken' in result) {
    return apiError(409, 'conflict', `a user with email ${parsed.data.email} exists already`, {
      fields: { email: 'is taken' },
    });
  }
  return json(result.user, 201, { location: `/api/users/${result.user.id}` });
});
