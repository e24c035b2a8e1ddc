import type { Metadata } from 'next';
import { BusinessForm, NEW_BUSINESS } from '@/components/BusinessForm';
import { DataTable } from '@/components/DataTable';
import { requireUser } from '@/server/auth/session';
import type { Business } from '@/server/businesses/businessSchemas';
import { listBusinesses } from '@/server/businesses/businessesRepository';
import { createBusinessAction } from '../actions/businessActions';

export const metadata: Metadata = { title: 'Businesses' };

const COLUMNS = ['Name', 'Type', 'Contact', 'Status'];

function businessCells(business: Business) {
  return (
    <>
      <td>
        <a href={`/businesses/${business.id}`}>{business.name}</a>
      </td>
      <td>{business.type}</td>
      <td>{[business.contactEmail, business.contactPhone].filter(Boolean).join(' · ') || '—'}</td>
      <td>
        <span className={`status ${business.active ? 'active' : 'inactive'}`}>
          {business.active ? 'active' : 'inactive'}
        </span>
      </td>
    </>
  );
}

export default async function BusinessesPage() {
  await requireUser('/businesses');
  const businesses = await listBusinesses();
  return (
    <>
      <h1>Businesses</h1>
      {businesses.length === 0 ? (
        <p className="empty">No businesses yet. Add the first one below.</p>
      ) : (
        <DataTable label="Businesses" columns={COLUMNS} records={businesses} cells={businessCells} />
      )}
      <h2>New business</h2>
      <div className="panel">
        <BusinessForm action={createBusinessAction} initial={NEW_BUSINESS} submitLabel="Create business" />
      </div>
    </>
  );
}
