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

export async function createBusinessAction(_previous: FormState, form: FormData): Promise<FormState> {
  await requireUser('/businesses');
  const parsed = businessInput.safeParse(businessFromForm(form));
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  const business = await createBusiness(parsed.data);
  redirect(`/businesses/${business.id}`);
}

export async function updateBusinessAction(
  businessId: string,
  _previous: FormState,
  form: FormData,
): Promise<FormState> {
  await requireUser(`/businesses/${businessId}`);
  if (!isUuid(businessId)) notFound();
  const parsed = businessInput.safeParse(businessFromForm(form));
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  if (!(await updateBusiness(businessId, parsed.data))) notFound();
  revalidatePath(`/businesses/${businessId}`);
  return { done: 'Saved.' };
}

export async function deleteBusinessAction(businessId: string): Promise<void> {
  await requireUser(`/businesses/${businessId}`);
  if (isUuid(businessId)) await deleteBusiness(businessId);
  redirect('/businesses');
}

export async function createEmployeeAction(
  businessId: string,
  _previous: FormState,
  form: FormData,
): Promise<FormState> {
  await requireUser(`/businesses/${businessId}`);
  if (!isUuid(businessId)) notFound();
  const parsed = employeeInput.safeParse(employeeFromForm(form));
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  const employee = await createEmployee(businessId, parsed.data);
  if (!employee) notFound();
  revalidatePath(`/businesses/${businessId}`);
  return { done: `Added ${employee.name}.` };
}

export async function updateEmployeeAction(
  employeeId: string,
  businessId: string,
  _previous: FormState,
  form: FormData,
): Promise<FormState> {
  await requireUser(`/businesses/${businessId}`);
  if (!isUuid(employeeId)) notFound();
  const parsed = employeeInput.safeParse(employeeFromForm(form));
  if (!parsed.success) return { fields: fieldErrors(parsed.error), values: submittedValues(form) };
  if (!(await updateEmployee(employeeId, parsed.data))) notFound();
  revalidatePath(`/businesses/${businessId}`);
  return { done: 'Saved.' };
}

export async function deleteEmployeeAction(employeeId: string, businessId: string): Promise<void> {
  await requireUser(`/businesses/${businessId}`);
  if (isUuid(employeeId)) await deleteEmployee(employeeId);
  revalidatePath(`/businesses/${businessId}`);
}
