import { redirect } from 'next/navigation';
import { currentUser } from '../server/auth';
import { listTechnicians, listWorkOrders } from '../server/deskRecords';
import { WorkOrderForm } from './WorkOrderForm';

// Per request: the list and the session are never rendered at build time.
export const dynamic = 'force-dynamic';

export default async function WorkOrdersPage() {
  const user = await currentUser();
  if (!user) redirect('/api/auth/signin?callbackUrl=%2F');
  const [orders, technicians] = await Promise.all([listWorkOrders(), listTechnicians()]);
  return (
    <>
      <header style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'baseline' }}>
        <h1>Field Desk</h1>
        <span>
          Signed in as <strong data-testid="signed-in-as">{user.email}</strong> ·{' '}
          <a href="/api/auth/signout">Sign out</a>
        </span>
      </header>
      <h2>Work orders</h2>
      {orders.length === 0 ? (
        <p>No work orders yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Title</th>
              <th>Site</th>
              <th>Priority</th>
              <th>Status</th>
              <th>Technician</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id} data-testid="work-order">
                <td>{order.title}</td>
                <td>{order.siteAddress}</td>
                <td>{order.priority}</td>
                <td>{order.status}</td>
                <td>{order.technicianName ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New work order</h2>
      <WorkOrderForm technicians={technicians.map(({ id, fullName }) => ({ id, fullName }))} />
    </>
  );
}
