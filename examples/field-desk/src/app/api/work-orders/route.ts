import { createWorkOrder, listWorkOrders } from '../../../server/deskRecords';
import { newWorkOrderSchema } from '../../../server/deskInput';
import { create, json, signedIn } from '../../../server/jsonApi';

export const GET = signedIn(async () => json(200, await listWorkOrders()));
export const POST = create(newWorkOrderSchema, (user, input) => createWorkOrder(user.email, input));
