'use server';
import { revalidatePath } from 'next/cache';
import { currentUser } from '../server/auth';
import { sqlState } from '../server/database';
import { createWorkOrder } from '../server/deskRecords';
import { firstProblem, newWorkOrderSchema } from '../server/deskInput';

export interface FormResult {
  readonly message: string;
}

export async function addWorkOrder(_previous: FormResult, form: FormData): Promise<FormResult> {
  const user = await currentUser();
  if (!user) return { message: 'Your session ended: sign in again.' };
  const parsed = newWorkOrderSchema.safeParse({
    title: form.get('title') ?? '',
    siteAddress: form.get('siteAddress') ?? '',
    priority: form.get('priority') ?? 'normal',
    technicianId: form.get('technicianId') ?? '',
  });
  if (!parsed.success) return { message: firstProblem(parsed.error) };
  try {
    await createWorkOrder(user.email, parsed.data);
  } catch (error) {
    if (sqlState(error) === '23503') return { message: 'That technician no longer exists.' };
    throw error;
  }
  revalidatePath('/');
  return { message: `Added "${parsed.data.title}".` };
}
