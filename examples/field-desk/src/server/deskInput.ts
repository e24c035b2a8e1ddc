/** What a browser or API client may send, checked before it touches the database. Pure. */
import { z } from 'zod';

const text = (max: number) => z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);
const optionalUuid = z
  .union([z.literal(''), z.uuid('must be an id from this desk')])
  .optional()
  .transform((value) => (value ? value : undefined));

export const newTeamSchema = z.strictObject({ name: text(120), region: text(80) });
export const newTechnicianSchema = z.strictObject({
  teamId: z.uuid('must be the id of a team'),
  fullName: text(120),
  email: z
    .email('must be an email address')
    .max(254)
    .transform((value) => value.toLowerCase()),
});
export const newWorkOrderSchema = z.strictObject({
  title: text(200),
  siteAddress: text(300),
  priority: z.enum(['low', 'normal', 'urgent']).default('normal'),
  technicianId: optionalUuid,
});

export type NewTeam = z.infer<typeof newTeamSchema>;
export type NewTechnician = z.infer<typeof newTechnicianSchema>;
export type NewWorkOrder = z.infer<typeof newWorkOrderSchema>;

/** The first problem, as "field: rule", for a 400 answer or a form message. */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid input';
}
