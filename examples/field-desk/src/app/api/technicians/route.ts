import { createTechnician, listTechnicians } from '../../../server/deskRecords';
import { newTechnicianSchema } from '../../../server/deskInput';
import { create, json, signedIn } from '../../../server/jsonApi';

export const GET = signedIn(async () => json(200, await listTechnicians()));
export const POST = create(newTechnicianSchema, (user, input) => createTechnician(user.email, input));
