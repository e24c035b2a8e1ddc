import type { Metadata } from 'next';
import { BusinessForm, NEW_BUSINESS } from '@/components/BusinessForm';
import { requireUser } from '@/server/auth/session';
import { listBusinesses } from '@/server/businesses/businessesRepository';
import { createBusinessAction } from '../actions/businessActions';

export const metadata: Metadata = { title: 'Businesses' };

export default async function BusinessesPage() {
  await requireUser('/businesses');
  const businesses = await listBusinesses();
  return (
    <>
      <h1>Businesses</h1>
      {businesses.length === 0 ? (
        <p className="empty">No businesses yet. Add the first one below.</p>
      ) : (
        <table aria-label="Businesses">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Contact</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {businesses.map((business) => (
              <tr key={business.id}>
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
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New business</h2>
      <div className="panel">
        <BusinessForm action={createBusinessAction} initial={NEW_BUSINESS} submitLabel="Create business" />
      </div>
    </>
  );
}
