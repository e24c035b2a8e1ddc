import { employeePatch } from '@/server/employees/employeeSchemas';
import { deleteEmployee, findEmployee, updateEmployee } from '@/server/employees/employeesRepository';
import { json, noContent, notFound, readJsonBody, validationFailed } from '@/server/http/apiResponses';
import { apiRoute } from '@/server/http/apiRoute';
import { isUuid } from '@/server/ids';

export const GET = apiRoute<{ id: string }>(async (_request, _user, { id }) => {
  const employee = isUuid(id) ? await findEmployee(id) : undefined;
  return employee ? json(employee) : notFound('employee', id);
});

export const PATCH = apiRoute<{ id: string }>(async (request, _user, { id }) => {
  if (!isUuid(id)) return notFound('employee', id);
  const read = await readJsonBody(request);
  if ('response' in read) return read.response;
  const parsed = employeePatch.safeParse(read.body);
  if (!parsed.success) return validationFailed(parsed.error);
  const employee = await updateEmployee(id, parsed.data);
  return employee ? json(employee) : notFound('employee', id);
});

export const DELETE = apiRoute<{ id: string }>(async (_request, _user, { id }) => {
  return isUuid(id) && (await deleteEmployee(id)) ? noContent() : notFound('employee', id);
});
