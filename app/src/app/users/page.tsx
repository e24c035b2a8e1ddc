import type { Metadata } from 'next';
import { NewUserForm, UserActionButton } from '@/components/UserForms';
import { requireUser } from '@/server/auth/session';
import { isAdmin } from '@/server/users/adminCheck';
import { listUsers } from '@/server/users/usersRepository';
import { changeUserRoleAction, createUserAction, deleteUserAction } from '../actions/userActions';

export const metadata: Metadata = { title: 'Users' };

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
      <table aria-label="Users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((user) => (
            <tr key={user.id}>
              <td>{user.email}</td>
              <td>{user.name}</td>
              <td>{user.role}</td>
              <td className="actions">
                {user.id !== me.id && (
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
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <div className="panel">
        <NewUserForm action={createUserAction} />
      </div>
    </>
  );
}
