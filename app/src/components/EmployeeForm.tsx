'use client';

import { useActionState } from 'react';
import { EMPTY_FORM_STATE } from '../server/formState';
import { type ActionFormProps, boundField, FormMessages, SubmitButton, TextField } from './FormFields';

export interface EmployeeFormValues {
  name: string;
  email: string;
  title: string;
}

export function EmployeeForm({ action, initial, submitLabel }: ActionFormProps<EmployeeFormValues>) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  const field = boundField(state, (name: keyof EmployeeFormValues) => state.values?.[name] ?? initial[name]);
  return (
    <form className="stack" action={formAction} aria-label={submitLabel}>
      <TextField label="Name" {...field('name')} required maxLength={200} />
      <TextField label="Email" type="email" {...field('email')} />
      <TextField label="Title" {...field('title')} maxLength={100} />
      <FormMessages state={state} />
      <SubmitButton pending={pending} label={submitLabel} pendingLabel="Saving…" />
    </form>
  );
}
