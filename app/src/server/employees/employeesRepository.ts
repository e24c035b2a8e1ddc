/** Employees of businesses in this node's PostgreSQL. */
import { databasePool } from '../db/pool';
import { RecordTable } from '../db/recordTable';
import { newId } from '../ids';
import type { Employee, EmployeeInput, EmployeePatch } from './employeeSchemas';

const employees = new RecordTable<Employee>('employees', {
  businessId: 'business_id',
  name: 'name',
  email: 'email',
  title: 'title',
});

export async function listEmployees(businessId: string): Promise<Employee[]> {
  const { rows } = await databasePool().query(
    `SELECT ${employees.columns} FROM employees WHERE business_id = $1 ORDER BY lower(name), id`,
    [businessId],
  );
  return rows.map((row) => employees.toRecord(row));
}

export function findEmployee(id: string): Promise<Employee | undefined> {
  return employees.find(id);
}

/** Adds an employee to the business; undefined when the business does not exist. */
export async function createEmployee(businessId: string, input: EmployeeInput): Promise<Employee | undefined> {
  const { rows } = await databasePool().query(
    `INSERT INTO employees (id, business_id, name, email, title)
     SELECT $1, id, $3, $4, $5 FROM businesses WHERE id = $2
     RETURNING ${employees.columns}`,
    [newId(), businessId, input.name, input.email, input.title],
  );
  return rows[0] && employees.toRecord(rows[0]);
}

export function updateEmployee(id: string, patch: EmployeePatch): Promise<Employee | undefined> {
  return employees.update(id, patch);
}

export function deleteEmployee(id: string): Promise<boolean> {
  return employees.remove(id);
}
