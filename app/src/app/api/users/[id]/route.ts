import {
  apiError,
  forbidden,
  json,
  noContent,
  notFound,
  readJsonBody,
  validationFailed,
} from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';
import { isUuid } from '@/server/ids';
import { isAdmin } from '@/server/users/adminCheck';
import { deleteUser, findUser, updateUser } from '@/server/users/usersRepository';
import { userPatch } from '@/server/users/userSchemas';

const ADMINS_ONLY = 'only admins manage users';
const LAST_ADMIN = 'this is the last admin: make another user admin first';

export const GET = apiRoute<{ id: string }>(async (_request, user, { id }) => {
  if (!(await isAdmin(user))) return forbidden(ADMINS_ONLY);
  const found = isUuid(id) ? await findUser(id) : undefined;
  return found ? json(found) : notFound('user', id);
});

export const PATCH = apiRoute<{ id: string }>(async (request, user, { id }) => {
  if (!(await isAdmin(user))) return forbidden(ADMINS_ONLY);
  if (!isUuid(id)) return notFound('user', id);
  const read = await readJsonBody(request);
  if ('response' in read) return read.response;
  const parsed = userPatch.safeParse(read.body);
  if (!parsed.success) return validationFailed(parsed.error);
  const result = await updateUser(id, parsed.data);
  if ('notFound' in result) return notFound('user', id);
  if ('lastAdmin' in result) return apiError(409, 'conflict', LAST_ADMIN, { fields: { role: LAST_ADMIN } });
  return json(result.user);
});

export const DELETE = apiRoute<{ id: string }>(async (_request, user, { id }) => {
  if (!(await isAdmin(user))) return forbidden(ADMINS_ONLY);
  if (!isUuid(id)) return notFound('user', id);
  if (id === user.id) return apiError(409, 'conflict', 'you cannot delete your own account; ask another admin');
  const result = await deleteUser(id);
  if ('notFound' in result) return notFound('user', id);
  if ('lastAdmin' in result) return apiError(409, 'conflict', LAST_ADMIN);
  return noContent();
});
