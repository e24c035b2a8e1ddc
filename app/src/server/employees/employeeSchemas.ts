/** An employee of a business, as the JSON API and the forms accept it. */
import { z } from 'zod';
import { optionalEmailAddress, optionalText, patchOf, requiredText } from '../validation';
import { formText } from '../formState';

const fields = {
  name: requiredText(200),
  email: optionalEmailAddress,
  title: optionalText(100),
};

export const employeeInput = z.strictObject(fields, { error: 'must be a JSON object' });
export type EmployeeInput = z.output<typeof employeeInput>;

export const employeePatch = patchOf(fields);
export type EmployeePatch = z.output<typeof employeePatch>;

export interface Employee {
  readonly id: string;
  readonly businessId: string;
  readonly name: string;
  readonly email: string | null;
  readonly title: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function employeeFromForm(form: FormData): Record<string, unknown> {
  const text = (field: string) => formText(form, field);
  return { name: text('name') ?? '', email: text('email'), title: text('title') };
}
