import { firstProblem, newTechnicianSchema, newWorkOrderSchema } from './deskInput';

describe('what Field Desk accepts from a browser or API client', () => {
  it('accepts a work order without a technician, priority normal by default', () => {
    expect(newWorkOrderSchema.parse({ title: ' Fix door ', siteAddress: '2 Main St', technicianId: '' })).toEqual({
      title: 'Fix door',
      siteAddress: '2 Main St',
      priority: 'normal',
      technicianId: undefined,
    });
  });

  it('refuses unknown fields, a bad priority and an id that is no UUID, naming the field', () => {
    const problem = (input: unknown) => {
      const parsed = newWorkOrderSchema.safeParse(input);
      return parsed.success ? 'accepted' : firstProblem(parsed.error);
    };
    expect(problem({ title: 'a', siteAddress: 'b', id: 'mine' })).toMatch(/unrecognized|id/i);
    expect(problem({ title: 'a', siteAddress: 'b', priority: 'now' })).toMatch(/^priority: /);
    expect(problem({ title: 'a', siteAddress: 'b', technicianId: "1' OR '1'='1" })).toBe(
      'technicianId: must be an id from this desk',
    );
    expect(problem({ title: 'x'.repeat(201), siteAddress: 'b' })).toBe('title: must be at most 200 characters');
  });

  it("lower-cases a technician's email, the unique column", () => {
    const parsed = newTechnicianSchema.parse({
      teamId: '01936b2e-1c3a-7b4d-8e5f-0a1b2c3d4e5f',
      fullName: 'Ada',
      email: 'Ada@Desk.Example',
    });
    expect(parsed.email).toBe('ada@desk.example');
  });
});
