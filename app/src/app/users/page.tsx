import type { Metadata } from 'next';
import { DataTable } from '@/components/DataTable';
import { NewUserForm, UserActionButton } from '@/components/UserForms';
import { requireUser } from '@/server/auth/session';
import { isAdmin } from '@/server/users/adminCheck';
import { listUsers } from '@/server/users/usersRepository';
import type { User } from '@/server/users/userSchemas';
import { changeUserRoleAction, createUserAction, deleteUserAction } from '../actions/userActions';

export const metadata: Metadata = { title: 'Users' };

const COLUMNS = ['Email', 'Name', 'Role', ''];

/** Every user but the admin looking (`myId`) can be promoted, demoted or deleted here. */
function userCells(user: User, myId: string) {
  return (
    <>
      <td>{user.email}</td>
      <td>{user.name}</td>
      <td>{user.role}</td>
      <td className="actions">
        {user.id !== myId && (
          <>
            <UserActionButton
              key={`${user.id}-${user.role}`}
              action={changeUserRoleAction.bind(null, user.id, user.role === 'admin' ? 'member' : 'admin')}
              label={user.role === 'admin' ? 'Make member' : 'Make admin'}
            />
            <UserActionButton action={deleteUserAction.bind(null, user.id)} label="Delete" danger />
          </>
        )}
      </td>
    </>
  );
}

export default async function UsersPage() {
  const me = await requireUser('/users');
  if (!(await isAdmin(me))) {
    return (
      <div className="panel">
        <h1>Users</h1>
        <p>Only admins manage users. Ask an admin if you need an account changed.</p>
      </div>
    );
  }
  const users = await listUsers();
  return (
    <>
      <h1>Users</h1>
      <DataTable label="Users" columns={COLUMNS} records={users} cells={(user) => userCells(user, me.id)} />
      <h2>New user</h2>
      <div className="panel">
        <NewUserForm action={createUserAction} />
      </div>
    </>
  );
}
