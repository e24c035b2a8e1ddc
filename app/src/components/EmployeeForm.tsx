'use client';

import { useActionState } from 'react';
import { EMPTY_FORM_STATE, type FormState } from '../server/formState';
import { Field, FormMessages, invalid } from './FormFields';

export interface EmployeeFormValues {
  name: string;
  email: string;
  title: string;
}

export function EmployeeForm({
  action,
  initial,
  submitLabel,
}: {
  action: (previous: FormState, form: FormData) => Promise<FormState>;
  initial: EmployeeFormValues;
  submitLabel: string;
}) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  const value = (name: keyof EmployeeFormValues) => state.values?.[name] ?? initial[name];
  return (
    <form className="stack" action={formAction} aria-label={submitLabel}>
      <Field label="Name" name="name" state={state}>
        <input name="name" defaultValue={value('name')} required maxLength={200} {...invalid(state, 'name')} />
      </Field>
      <Field label="Email" name="email" state={state}>
        <input name="email" type="email" defaultValue={value('email')} {...invalid(state, 'email')} />
      </Field>
      <Field label="Title" name="title" state={state}>
        <input name="title" defaultValue={value('title')} maxLength={100} {...invalid(state, 'title')} />
      </Field>
      <FormMessages state={state} />
      <div className="actions">
        <button type="submit" disabled={pending}>
          {pending ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
