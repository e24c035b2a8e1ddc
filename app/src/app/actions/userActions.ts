'use server';
/** Server Actions behind the /users page. Admin rights are checked against the database on every call. */
import { revalidatePath } from 'next/cache';
import { requireUser } from '@/server/auth/session';
import { type FormState, submittedValues } from '@/server/formState';
import { isUuid } from '@/server/ids';
import { isAdmin } from '@/server/users/adminCheck';
import { createUser, deleteUser, updateUser } from '@/server/users/usersRepository';
import { newUser, userFromForm, USER_ROLES, type UserRole } from '@/server/users/userSchemas';
import { fieldErrors } from '@/server/validation';

const ADMINS_ONLY: FormState = { message: 'Only admins manage users.' };
const LAST_ADMIN = 'This is the last admin: make another user admin first.';

export async function createUserAction(_previous: FormState, form: FormData): Promise<FormState> {
  const user = await requireUser('/users');
  if (!(await isAdmin(user))) return ADMINS_ONLY;
  const parsed = newUser.safeParse(userFromForm(form));
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  const result = await createUser(parsed.data);
  if ('emailTaken' in result) return { fields: { email: 'is taken by another user' }, values: submittedValues(form) };
  revalidatePath('/users');
  return { done: `Created ${result.user.email}.` };
}

export async function changeUserRoleAction(userId: string, role: UserRole, _previous: FormState): Promise<FormState> {
  const user = await requireUser('/users');
  if (!(await isAdmin(user))) return ADMINS_ONLY;
  if (!isUuid(userId) || !USER_ROLES.includes(role)) return { message: 'No such user or role.' };
  const result = await updateUser(userId, { role });
  if ('lastAdmin' in result) return { message: LAST_ADMIN };
  if ('notFound' in result) return { message: 'That user no longer exists.' };
  revalidatePath('/users');
  return { done: `${result.user.email} is now ${role}.` };
}

export async function deleteUserAction(userId: string, _previous: FormState): Promise<FormState> {
  const user = await requireUser('/users');
  if (!(await isAdmin(user))) return ADMINS_ONLY;
  if (userId === user.id) return { message: 'You cannot delete your own account; ask another admin.' };
  if (!isUuid(userId)) return { message: 'That user no longer exists.' };
  const result = await deleteUser(userId);
  if ('lastAdmin' in result) return { message: LAST_ADMIN };
  revalidatePath('/users');
  return { done: 'Deleted.' };
}
