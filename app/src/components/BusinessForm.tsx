'use client';

import { useActionState } from 'react';
import { BUSINESS_TYPES } from '../server/businesses/businessSchemas';
import { EMPTY_FORM_STATE } from '../server/formState';
import {
  type ActionFormProps,
  boundField,
  Field,
  FormMessages,
  invalid,
  SelectField,
  SubmitButton,
  TextField,
} from './FormFields';

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

export function BusinessForm({ action, initial, submitLabel }: ActionFormProps<BusinessFormValues>) {
  const [state, formAction, pending] = useActionState(action, EMPTY_FORM_STATE);
  const value = (name: Exclude<keyof BusinessFormValues, 'active'>) => state.values?.[name] ?? initial[name];
  const field = boundField(state, value);
  const active = state.values ? state.values.active === 'on' : initial.active;
  return (
    <form className="stack" action={formAction} aria-label={submitLabel}>
      <TextField label="Name" {...field('name')} required maxLength={200} />
      <SelectField label="Type" {...field('type')} choices={BUSINESS_TYPES} />
      <TextField label="Contact email" type="email" {...field('contactEmail')} />
      <TextField label="Contact phone" type="tel" {...field('contactPhone')} />
      <Field label="Address" name="address" state={state}>
        <textarea name="address" rows={2} defaultValue={value('address')} {...invalid(state, 'address')} />
      </Field>
      <label className="check">
        <input name="active" type="checkbox" defaultChecked={active} /> Active
      </label>
      <FormMessages state={state} />
      <SubmitButton pending={pending} label={submitLabel} pendingLabel="Saving…" />
    </form>
  );
}
