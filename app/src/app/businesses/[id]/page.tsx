import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { BusinessForm } from '@/components/BusinessForm';
import { DataTable } from '@/components/DataTable';
import { EmployeeForm } from '@/components/EmployeeForm';
import { requireUser } from '@/server/auth/session';
import { findBusiness } from '@/server/businesses/businessesRepository';
import type { Employee } from '@/server/employees/employeeSchemas';
import { listEmployees } from '@/server/employees/employeesRepository';
import { isUuid } from '@/server/ids';
import {
  createEmployeeAction,
  deleteBusinessAction,
  deleteEmployeeAction,
  updateBusinessAction,
  updateEmployeeAction,
} from '@/app/actions/businessActions';

type Props = { params: Promise<{ id: string }> };

const COLUMNS = ['Name', 'Title', 'Email', ''];

function employeeCells(employee: Employee) {
  return (
    <>
      <td>
        {employee.name}
        <details>
          <summary>Edit</summary>
          <EmployeeForm
            key={employee.updatedAt}
            action={updateEmployeeAction.bind(null, employee.id, employee.businessId)}
            initial={{ name: employee.name, email: employee.email ?? '', title: employee.title ?? '' }}
            submitLabel="Save employee"
          />
        </details>
      </td>
      <td>{employee.title ?? '—'}</td>
      <td>{employee.email ?? '—'}</td>
      <td>
        <form className="inline" action={deleteEmployeeAction.bind(null, employee.id, employee.businessId)}>
          <button type="submit" className="danger">
            Remove
          </button>
        </form>
      </td>
    </>
  );
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { id } = await params;
  const business = isUuid(id) ? await findBusiness(id) : undefined;
  return { title: business?.name ?? 'Business' };
}

export default async function BusinessPage({ params }: Props) {
  const { id } = await params;
  await requireUser(`/businesses/${id}`);
  const business = isUuid(id) ? await findBusiness(id) : undefined;
  if (!business) notFound();
  const employees = await listEmployees(business.id);
  return (
    <>
      <p>
        <a href="/businesses">← All businesses</a>
      </p>
      <h1>{business.name}</h1>
      <div className="panel">
        <BusinessForm
          action={updateBusinessAction.bind(null, business.id)}
          initial={{
            name: business.name,
            type: business.type,
            contactEmail: business.contactEmail ?? '',
            contactPhone: business.contactPhone ?? '',
            address: business.address ?? '',
            active: business.active,
          }}
          submitLabel="Save business"
        />
      </div>

      <h2>Employees</h2>
      {employees.length === 0 ? (
        <p className="empty">No employees yet.</p>
      ) : (
        <DataTable label="Employees" columns={COLUMNS} records={employees} cells={employeeCells} />
      )}
      <h3>Add an employee</h3>
      <div className="panel">
        <EmployeeForm
          key={employees.length}
          action={createEmployeeAction.bind(null, business.id)}
          initial={{ name: '', email: '', title: '' }}
          submitLabel="Add employee"
        />
      </div>

      <h2>Delete</h2>
      <form className="inline" action={deleteBusinessAction.bind(null, business.id)}>
        <button type="submit" className="danger">
          Delete {business.name} and its employees
        </button>
      </form>
    </>
  );
}
