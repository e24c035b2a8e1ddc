'use client';
import { useActionState } from 'react';
import { addWorkOrder, type FormResult } from './actions';

export function WorkOrderForm({ technicians }: { technicians: { id: string; fullName: string }[] }) {
  const [state, action, pending] = useActionState<FormResult, FormData>(addWorkOrder, { message: '' });
  return (
    <form action={action} aria-label="New work order" style={{ display: 'grid', gap: '0.5rem', maxWidth: 420 }}>
      <input name="title" placeholder="What needs doing" required maxLength={200} />
      <input name="siteAddress" placeholder="Site address" required maxLength={300} />
      <select name="priority" defaultValue="normal">
        <option value="low">low</option>
        <option value="normal">normal</option>
        <option value="urgent">urgent</option>
      </select>
      <select name="technicianId" defaultValue="">
        <option value="">unassigned</option>
        {technicians.map((t) => (
          <option key={t.id} value={t.id}>
            {t.fullName}
          </option>
        ))}
      </select>
      <button type="submit" disabled={pending}>
        Add work order
      </button>
      <p role="status">{state.message}</p>
    </form>
  );
}
