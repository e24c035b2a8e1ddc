/** What a Server Action hands back to its form: per-field messages and the values to show again. */
import type { FieldErrors } from './validation';

export interface FormState {
  readonly fields?: FieldErrors;
  readonly message?: string;
  /** The submitted values, so a refused form keeps what the person typed. */
  readonly values?: Readonly<Record<string, string>>;
  /** Set after a successful action that stays on the page (the form shows it and clears). */
  readonly done?: string;
}

export const EMPTY_FORM_STATE: FormState = {};

export function submittedValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string' && !key.startsWith('$') && key !== 'password') values[key] = value;
  }
  return values;
}

/** A text field of a submitted form; undefined when it is missing or a file. */
export function formText(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
}
