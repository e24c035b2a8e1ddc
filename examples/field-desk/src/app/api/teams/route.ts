import { createTeam, listTeams } from '../../../server/deskRecords';
import { newTeamSchema } from '../../../server/deskInput';
import { create, json, signedIn } from '../../../server/jsonApi';

export const GET = signedIn(async () => json(200, await listTeams()));
export const POST = create(newTeamSchema, (user, input) => createTeam(user.email, input));
