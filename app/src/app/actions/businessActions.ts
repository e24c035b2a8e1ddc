'use server';
/**
 * Server Actions behind the business and employee forms. Each one checks the session itself (Server Actions are
 * public HTTP endpoints) and validates with the same schemas as the JSON API.
 */
import { revalidatePath } from 'next/cache';
import { notFound, redirect } from 'next/navigation';
import { requireUser } from '@/server/auth/session';
import { businessFromForm, businessInput } from '@/server/businesses/businessSchemas';
import { createBusiness, deleteBusiness, updateBusiness } from '@/server/businesses/businessesRepository';
import { employeeFromForm, employeeInput } from '@/server/employees/employeeSchemas';
import { createEmployee, deleteEmployee, updateEmployee } from '@/server/employees/employeesRepository';
import { type FormState, submittedValues } from '@/server/formState';
import { isUuid } from '@/server/ids';
import { fieldErrors } from '@/server/validation';
import type { ZodSafeParseResult } from 'zod';

const parseBusiness = (form: FormData) => businessInput.safeParse(businessFromForm(form));
const parseEmployee = (form: FormData) => employeeInput.safeParse(employeeFromForm(form));

export async function createBusinessAction(_previous: FormState, form: FormData): Promise<FormState> {
  await requireUser('/businesses');
  const parsed = parseBusiness(form);
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  const business = await createBusiness(parsed.data);
  redirect(`/businesses/${business.id}`);
}

/**
 * A form for a record shown on /businesses/<businessId>: the session, a well-formed id, the form's fields, then
 * `save`, which answers what to tell the person, or undefined when the record is gone (404).
 */
async function saveOnBusinessPage<T>(
  businessId: string,
  recordId: string,
  form: FormData,
  parse: (form: FormData) => ZodSafeParseResult<T>,
  save: (data: T) => Promise<string | undefined>,
): Promise<FormState> {
  await requireUser(`/businesses/${businessId}`);
  if (!isUuid(recordId)) notFound();
  const parsed = parse(form);
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  const done = await save(parsed.data);
  if (done === undefined) notFound();
  revalidatePath(`/businesses/${businessId}`);
  return { done };
}

export async function updateBusinessAction(id: string, _previous: FormState, form: FormData): Promise<FormState> {
  return saveOnBusinessPage(id, id, form, parseBusiness, async (data) =>
    (await updateBusiness(id, data)) ? 'Saved.' : undefined,
  );
}

export async function deleteBusinessAction(businessId: string): Promise<void> {
  await requireUser(`/businesses/${businessId}`);
  if (isUuid(businessId)) await deleteBusiness(businessId);
  redirect('/businesses');
}

export async function createEmployeeAction(id: string, _previous: FormState, form: FormData): Promise<FormState> {
  return saveOnBusinessPage(id, id, form, parseEmployee, async (data) => {
    const employee = await createEmployee(id, data);
    return employee && `Added ${employee.name}.`;
  });
}

export async function updateEmployeeAction(
  employeeId: string,
  businessId: string,
  _previous: FormState,
  form: FormData,
): Promise<FormState> {
  return saveOnBusinessPage(businessId, employeeId, form, parseEmployee, async (data) =>
    (await updateEmployee(employeeId, data)) ? 'Saved.' : undefined,
  );
}

export async function deleteEmployeeAction(employeeId: string, businessId: string): Promise<void> {
  await requireUser(`/businesses/${businessId}`);
  if (isUuid(employeeId)) await deleteEmployee(employeeId);
  revalidatePath(`/businesses/${businessId}`);
}
