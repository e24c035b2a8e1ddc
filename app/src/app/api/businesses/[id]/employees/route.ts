import { findBusiness } from '@/server/businesses/businessesRepository';
import { employeeInput } from '@/server/employees/employeeSchemas';
import { createEmployee, listEmployees } from '@/server/employees/employeesRepository';
import { json, notFound, readValidBody } from '@/server/http/apiResponses';
import { recordRoute } from '@/server/http/apiRoute';

export const GET = recordRoute('business', async (_request, _user, id) => {
  if (!(await findBusiness(id))) return notFound('business', id);
  return json({ employees: await listEmployees(id) });
});

export const POST = recordRoute('business', async (request, _user, id) => {
  const body = await readValidBody(request, employeeInput);
  if ('response' in body) return body.response;
  const employee = await createEmployee(id, body.data);
  if (!employee) return notFound('business', id);
  return json(employee, 201, { location: `/api/employees/${employee.id}` });
});
