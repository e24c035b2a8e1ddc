import type { ReactNode } from 'react';
import type { FormState } from '../server/formState';

/** A labelled input with its error underneath; `name` is also the API field the error came from. */
export function Field({
  label,
  name,
  state,
  children,
}: {
  label: string;
  name: string;
  state: FormState;
  children: ReactNode;
}) {
  const error = state.fields?.[name];
  return (
    <label>
      {label}
      {children}
      {error && (
        <span className="field-error" id={`${name}-error`}>
          {label} {error}
        </span>
      )}
    </label>
  );
}

export function FormMessages({ state }: { state: FormState }) {
  const otherErrors = Object.entries(state.fields ?? {}).filter(([field]) => field === '(body)');
  return (
    <>
      {state.message && (
        <p className="form-error" role="alert">
          {state.message}
        </p>
      )}
      {otherErrors.map(([, message]) => (
        <p className="form-error" role="alert" key={message}>
          {message}
        </p>
      ))}
      {state.done && (
        <p role="status" className="done">
          {state.done}
        </p>
      )}
    </>
  );
}

export function invalid(state: FormState, name: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return state.fields?.[name] ? { 'aria-invalid': true, 'aria-describedby': `${name}-error` } : {};
}
