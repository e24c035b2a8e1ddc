import { apiError, json, readValidBody } from '@/server/http/apiResponses';
import { adminsOnly, apiRoute } from '@/server/http/apiRoute';
import { createUser, listUsers } from '@/server/users/usersRepository';
import { newUser } from '@/server/users/userSchemas';

export const GET = apiRoute(async () => json({ users: await listUsers() }), adminsOnly);

export const POST = apiRoute(async (request) => {
  const body = await readValidBody(request, newUser);
  if ('response' in body) return body.response;
  const result = await createUser(body.data);
  if ('emailTaken' in result) {
    return apiError(409, 'conflict', `a user with email ${body.data.email} exists already`, {
      fields: { email: 'is taken' },
    });
  }
  return json(result.user, 201, { location: `/api/users/${result.user.id}` });
}, adminsOnly);
