import { employeePatch } from '@/server/employees/employeeSchemas';
import { deleteEmployee, findEmployee, updateEmployee } from '@/server/employees/employeesRepository';
import { json, noContent, notFound, readValidBody } from '@/server/http/apiResponses';
import { recordRoute } from '@/server/http/apiRoute';

export const GET = recordRoute('employee', async (_request, _user, id) => {
  const employee = await findEmployee(id);
  return employee ? json(employee) : notFound('employee', id);
});

export const PATCH = recordRoute('employee', async (request, _user, id) => {
  const body = await readValidBody(request, employeePatch);
  if ('response' in body) return body.response;
  const employee = await updateEmployee(id, body.data);
  return employee ? json(employee) : notFound('employee', id);
});

export const DELETE = recordRoute('employee', async (_request, _user, id) =>
  (await deleteEmployee(id)) ? noContent() : notFound('employee', id),
);
