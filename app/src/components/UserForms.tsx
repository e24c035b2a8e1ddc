'use client';

import { useActionState } from 'react';
import { EMPTY_FORM_STATE, type FormState } from '../server/formState';
import { MIN_PASSWORD_LENGTH, USER_ROLES } from '../server/users/userSchemas';
import { boundField, FormMessages, SelectField, SubmitButton, TextField } from './FormFields';

export function NewUserForm({ action }: { action: (previous: FormState, form: FormData) => Promise<FormState> }) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  const value = (name: string, fallback = '') => (state.done ? fallback : (state.values?.[name] ?? fallback));
  const field = boundField(state, value);
  return (
    <form className="stack" action={formAction} aria-label="Create user">
      <TextField label="Email" type="email" {...field('email')} required />
      <TextField label="Name" {...field('name')} required maxLength={100} />
      <TextField
        label="Password"
        name="password"
        type="password"
        state={state}
        autoComplete="new-password"
        required
        minLength={MIN_PASSWORD_LENGTH}
      />
      <SelectField label="Role" {...field('role')} defaultValue={value('role', 'member')} choices={USER_ROLES} />
      <FormMessages state={state} />
      <SubmitButton pending={pending} label="Create user" pendingLabel="Creating…" />
    </form>
  );
}

/** A one-button form (change role, delete) that shows what happened or why not. */
export function UserActionButton({
  action,
  label,
  danger = false,
}: {
  action: (previous: FormState) => Promise<FormState>;
  label: string;
  danger?: boolean;
}) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  return (
    <form className="inline" action={formAction}>
      <button type="submit" className={danger ? 'danger' : 'secondary'} disabled={pending}>
        {label}
      </button>
      {state.message && (
        <span className="field-error" role="alert">
          {' '}
          {state.message}
        </span>
      )}
    </form>
  );
}
