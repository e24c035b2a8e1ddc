'use client';

import { useActionState } from 'react';
import { BUSINESS_TYPES } from '../server/businesses/businessSchemas';
import { EMPTY_FORM_STATE, type FormState } from '../server/formState';
import { Field, FormMessages, invalid } from './FormFields';

export interface BusinessFormValues {
  name: string;
  type: string;
  contactEmail: string;
  contactPhone: string;
  address: string;
  active: boolean;
}

export const NEW_BUSINESS: BusinessFormValues = {
  name: '',
  type: 'retail',
  contactEmail: '',
  contactPhone: '',
  address: '',
  active: true,
};

export function BusinessForm({
  action,
  initial,
  submitLabel,
}: {
  action: (previous: FormState, form: FormData) => Promise<FormState>;
  initial: BusinessFormValues;
  submitLabel: string;
}) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  const value = (name: Exclude<keyof BusinessFormValues, 'active'>) => state.values?.[name] ?? initial[name];
  const active = state.values ? state.values.active === 'on' : initial.active;
  return (
    <form className="stack" action={formAction} aria-label={submitLabel}>
      <Field label="Name" name="name" state={state}>
        <input name="name" defaultValue={value('name')} required maxLength={200} {...invalid(state, 'name')} />
      </Field>
      <Field label="Type" name="type" state={state}>
        <select name="type" defaultValue={value('type')} {...invalid(state, 'type')}>
          {BUSINESS_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Contact email" name="contactEmail" state={state}>
        <input
          name="contactEmail"
          type="email"
          defaultValue={value('contactEmail')}
          {...invalid(state, 'contactEmail')}
        />
      </Field>
      <Field label="Contact phone" name="contactPhone" state={state}>
        <input
          name="contactPhone"
          type="tel"
          defaultValue={value('contactPhone')}
          {...invalid(state, 'contactPhone')}
        />
      </Field>
      <Field label="Address" name="address" state={state}>
        <textarea name="address" rows={2} defaultValue={value('address')} {...invalid(state, 'address')} />
      </Field>
      <label className="check">
        <input name="active" type="checkbox" defaultChecked={active} /> Active
      </label>
      <FormMessages state={state} />
      <div className="actions">
        <button type="submit" disabled={pending}>
          {pending ? 'Saving…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
