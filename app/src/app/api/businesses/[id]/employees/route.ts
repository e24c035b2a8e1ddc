import { findBusiness } from '@/server/businesses/businessesRepository';
import { employeeInput } from '@/server/employees/employeeSchemas';
import { createEmployee, listEmployees } from '@/server/employees/employeesRepository';
import { json, notFound, readJsonBody, validationFailed } from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';
import { isUuid } from '@/server/ids';

export const GET = apiRoute<{ id: string }>(async (_request, _user, { id }) => {
  if (!isUuid(id) || !(await findBusiness(id))) return notFound('business', id);
  return json({ employees: await listEmployees(id) });
});

export const POST = apiRoute<{ id: string }>(async (request, _user, { id }) => {
  if (!isUuid(id)) return notFound('business', id);
  const read = await readJsonBody(request);
  if ('response' in read) return read.response;
  const parsed = employeeInput.safeParse(read.body);
  if (!parsed.success) return validationFailed(parsed.error);
  const employee = await createEmployee(id, parsed.data);
  if (!employee) return notFound('business', id);
  return json(employee, 201, { location: `/api/employees/${employee.id}` });
});
