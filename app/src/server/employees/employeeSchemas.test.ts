import { fieldErrors } from '../validation';
import { employeeInput, employeePatch } from './employeeSchemas';

describe('employee validation', () => {
  it('accepts a name alone', () => {
    expect(employeeInput.parse({ name: 'Grace Hopper' })).toEqual({ name: 'Grace Hopper', email: null, title: null });
  });

  it('names the missing name and the bad email', () => {
    const result = employeeInput.safeParse({ email: 'grace(at)navy' });
    expect(result.success).toBe(false);
    expect(fieldErrors(result.error!)).toEqual({
      name: 'must be a string',
      email: expect.stringMatching(/^must be an email address/),
    });
  });

  it('allows clearing the title with null in a patch', () => {
    expect(employeePatch.parse({ title: null })).toEqual({ title: null });
  });
});
