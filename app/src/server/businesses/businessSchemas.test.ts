import { fieldErrors } from '../validation';
import { businessFromForm, businessInput, businessPatch } from './businessSchemas';

function errorsOf(result: { success: boolean; error?: import('zod').ZodError }) {
  if (result.success || !result.error) throw new Error('expected the input to be refused');
  return fieldErrors(result.error);
}

describe('business validation', () => {
  it('accepts a complete business and normalises blanks to null', () => {
    const parsed = businessInput.parse({
      name: '  Corner Bakery ',
      type: 'restaurant',
      contactEmail: 'Orders@Bakery.Example',
      contactPhone: '+44 20 7946 0000',
      address: '',
    });
    expect(parsed).toEqual({
      name: 'Corner Bakery',
      type: 'restaurant',
      contactEmail: 'orders@bakery.example',
      contactPhone: '+44 20 7946 0000',
      address: null,
      active: true,
    });
  });

  it('names every field that is wrong', () => {
    const errors = errorsOf(businessInput.safeParse({ name: ' ', type: 'bank', contactEmail: 'nope', active: 'yes' }));
    expect(errors).toEqual({
      name: 'must not be empty',
      type: expect.stringMatching(/^must be one of retail, restaurant/),
      contactEmail: expect.stringMatching(/^must be an email address/),
      active: 'must be true or false',
    });
  });

  it('names a field the API does not know instead of ignoring it', () => {
    expect(errorsOf(businessInput.safeParse({ name: 'A', type: 'retail', nmae: 'typo' }))).toEqual({
      nmae: 'is not a field of this resource',
    });
  });

  it('refuses a body that is not an object', () => {
    expect(errorsOf(businessInput.safeParse([1, 2]))).toEqual({ '(body)': 'must be a JSON object' });
  });

  it('refuses a phone number with letters', () => {
    expect(errorsOf(businessInput.safeParse({ name: 'A', type: 'retail', contactPhone: 'call me' }))).toEqual({
      contactPhone: expect.stringMatching(/^must be a phone number/),
    });
  });

  it('lets a patch change one field and refuses an empty patch', () => {
    expect(businessPatch.parse({ active: false })).toEqual({ active: false });
    expect(errorsOf(businessPatch.safeParse({}))).toEqual({ '(body)': 'must contain at least one field to change' });
  });

  it('reads an HTML form, where an unticked checkbox means inactive', () => {
    const form = new FormData();
    form.set('name', 'Hardware Store');
    form.set('type', 'retail');
    form.set('contactEmail', '');
    expect(businessInput.parse(businessFromForm(form))).toMatchObject({
      name: 'Hardware Store',
      contactEmail: null,
      active: false,
    });
    form.set('active', 'on');
    expect(businessInput.parse(businessFromForm(form)).active).toBe(true);
  });
});
