'use client';

import { useActionState } from 'react';
import { EMPTY_FORM_STATE, type FormState } from '../server/formState';
import { MIN_PASSWORD_LENGTH, USER_ROLES } from '../server/users/userSchemas';
import { Field, FormMessages, invalid } from './FormFields';

export function NewUserForm({ action }: { action: (previous: FormState, form: FormData) => Promise<FormState> }) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  const value = (name: string, fallback = '') => (state.done ? fallback : (state.values?.[name] ?? fallback));
  return (
    <form className="stack" action={formAction} aria-label="Create user">
      <Field label="Email" name="email" state={state}>
        <input name="email" type="email" defaultValue={value('email')} required {...invalid(state, 'email')} />
      </Field>
      <Field label="Name" name="name" state={state}>
        <input name="name" defaultValue={value('name')} required maxLength={100} {...invalid(state, 'name')} />
      </Field>
      <Field label="Password" name="password" state={state}>
        <input
          name="password"
          type="password"
          autoComplete="new-password"
          required
          minLength={MIN_PASSWORD_LENGTH}
          {...invalid(state, 'password')}
        />
      </Field>
      <Field label="Role" name="role" state={state}>
        <select name="role" defaultValue={value('role', 'member')} {...invalid(state, 'role')}>
          {USER_ROLES.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
      </Field>
      <FormMessages state={state} />
      <div className="actions">
        <button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create user'}
        </button>
      </div>
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
