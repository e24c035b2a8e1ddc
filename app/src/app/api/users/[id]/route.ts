import { apiError, json, noContent, notFound, readValidBody } from '@/server/http/apiResponses';
import { adminsOnly, recordRoute } from '@/server/http/apiRoute';
import { deleteUser, findUser, updateUser } from '@/server/users/usersRepository';
import { userPatch } from '@/server/users/userSchemas';

const LAST_ADMIN = 'this is the last admin: make another user admin first';

export const GET = recordRoute(
  'user',
  async (_request, _user, id) => {
    const found = await findUser(id);
    return found ? json(found) : notFound('user', id);
  },
  adminsOnly,
);

export const PATCH = recordRoute(
  'user',
  async (request, _user, id) => {
    const body = await readValidBody(request, userPatch);
    if ('response' in body) return body.response;
    const result = await updateUser(id, body.data);
    if ('notFound' in result) return notFound('user', id);
    if ('lastAdmin' in result) return apiError(409, 'conflict', LAST_ADMIN, { fields: { role: LAST_ADMIN } });
    return json(result.user);
  },
  adminsOnly,
);

export const DELETE = recordRoute(
  'user',
  async (_request, user, id) => {
    if (id === user.id) return apiError(409, 'conflict', 'you cannot delete your own account; ask another admin');
    const result = await deleteUser(id);
    if ('notFound' in result) return notFound('user', id);
    if ('lastAdmin' in result) return apiError(409, 'conflict', LAST_ADMIN);
    return noContent();
  },
  adminsOnly,
);
