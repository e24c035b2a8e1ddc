/** Businesses in this node's PostgreSQL. IDs are checked by the caller (isUuid) before they reach SQL. */
import { databasePool } from '../db/pool';
import { RecordTable } from '../db/recordTable';
import { newId } from '../ids';
import type { Business, BusinessInput, BusinessPatch } from './businessSchemas';

const businesses = new RecordTable<Business>('businesses', {
  name: 'name',
  type: 'type',
  contactEmail: 'contact_email',
  contactPhone: 'contact_phone',
  address: 'address',
  active: 'active',
});

export async function listBusinesses(): Promise<Business[]> {
  const { rows } = await databasePool().query(`SELECT ${businesses.columns} FROM businesses ORDER BY lower(name), id`);
  return rows.map((row) => businesses.toRecord(row));
}

export function findBusiness(id: string): Promise<Business | undefined> {
  return businesses.find(id);
}

export async function createBusiness(input: BusinessInput): Promise<Business> {
  const { rows } = await databasePool().query(
    `INSERT INTO businesses (id, name, type, contact_email, contact_phone, address, active)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${businesses.columns}`,
    [newId(), input.name, input.type, input.contactEmail, input.contactPhone, input.address, input.active],
  );
  return businesses.toRecord(rows[0]);
}

/** Changes the given fields (all of them for a PUT); undefined when there is no such business. */
export function updateBusiness(id: string, patch: BusinessPatch): Promise<Business | undefined> {
  return businesses.update(id, patch);
}

/** Deletes the business and (ON DELETE CASCADE) its employees; false when there was none. */
export function deleteBusiness(id: string): Promise<boolean> {
  return businesses.remove(id);
}
