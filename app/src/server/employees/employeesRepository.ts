/** Employees of businesses in this node's PostgreSQL. */
import { databasePool } from '../db/pool';
import { newId } from '../ids';
import type { Employee, EmployeeInput, EmployeePatch } from './employeeSchemas';

interface EmployeeRow {
  id: string;
  business_id: string;
  name: string;
  email: string | null;
  title: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, business_id, name, email, title, created_at, updated_at';
const COLUMN_OF: Record<keyof EmployeeInput, string> = { name: 'name', email: 'email', title: 'title' };

function toEmployee(row: EmployeeRow): Employee {
  return {
    id: row.id,
    businessId: row.business_id,
    name: row.name,
    email: row.email,
    title: row.title,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listEmployees(businessId: string): Promise<Employee[]> {
  const { rows } = await databasePool().query<EmployeeRow>(
    `SELECT ${COLUMNS} FROM employees WHERE business_id = $1 ORDER BY lower(name), id`,
    [businessId],
  );
  return rows.map(toEmployee);
}

export async function findEmployee(id: string): Promise<Employee | undefined> {
  const { rows } = await databasePool().query<EmployeeRow>(`SELECT ${COLUMNS} FROM employees WHERE id = $1`, [id]);
  return rows[0] && toEmployee(rows[0]);
}

/** Adds an employee to the business; undefined when the business does not exist. */
export async function createEmployee(businessId: string, input: EmployeeInput): Promise<Employee | undefined> {
  const { rows } = await databasePool().query<EmployeeRow>(
    `INSERT INTO employees (id, business_id, name, email, title)
     SELECT $1, id, $3, $4, $5 FROM businesses WHERE id = $2
     RETURNING ${COLUMNS}`,
    [newId(), businessId, input.name, input.email, input.title],
  );
  return rows[0] && toEmployee(rows[0]);
}

export async function updateEmployee(id: string, patch: EmployeePatch): Promise<Employee | undefined> {
  const entries = Object.entries(patch).filter(([, value]) => value !== undefined) as [keyof EmployeeInput, unknown][];
  const assignments = entries.map(([field], index) => `${COLUMN_OF[field]} = $${index + 2}`);
  const { rows } = await databasePool().query<EmployeeRow>(
    `UPDATE employees SET ${[...assignments, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ...entries.map(([, value]) => value)],
  );
  return rows[0] && toEmployee(rows[0]);
}

export async function deleteEmployee(id: string): Promise<boolean> {
  const { rowCount } = await databasePool().query('DELETE FROM employees WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
