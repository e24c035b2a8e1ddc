import type { InputHTMLAttributes, ReactNode } from 'react';
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

/** What a form bound to a Server Action takes: the action, the values it starts with, its button's label. */
export interface ActionFormProps<V> {
  readonly action: (previous: FormState, form: FormData) => Promise<FormState>;
  readonly initial: V;
  readonly submitLabel: string;
}

/** What each field of a form takes from the form: its name, the form's state and the value to show. */
export function boundField<N extends string>(state: FormState, value: (name: N) => string) {
  return (name: N) => ({ name, state, defaultValue: value(name) });
}

/** A labelled <input>; `name` is the field, its error is shown and announced with it. */
export function TextField({
  label,
  name,
  state,
  ...input
}: { label: string; name: string; state: FormState } & Omit<InputHTMLAttributes<HTMLInputElement>, 'name'>) {
  return (
    <Field label={label} name={name} state={state}>
      <input name={name} {...input} {...invalid(state, name)} />
    </Field>
  );
}

/** A labelled <select> of fixed choices, each shown as its own value. */
export function SelectField({
  label,
  name,
  state,
  choices,
  defaultValue,
}: {
  label: string;
  name: string;
  state: FormState;
  choices: readonly string[];
  defaultValue: string;
}) {
  return (
    <Field label={label} name={name} state={state}>
      <select name={name} defaultValue={defaultValue} {...invalid(state, name)}>
        {choices.map((choice) => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** The form's submit button, disabled and relabelled while the form is being sent. */
export function SubmitButton({
  pending,
  label,
  pendingLabel,
}: {
  pending: boolean;
  label: string;
  pendingLabel: string;
}) {
  return (
    <div className="actions">
      <button type="submit" disabled={pending}>
        {pending ? pendingLabel : label}
      </button>
    </div>
  );
}
