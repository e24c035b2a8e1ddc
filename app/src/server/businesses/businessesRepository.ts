/** Businesses in this node's PostgreSQL. IDs are checked by the caller (isUuid) before they reach SQL. */
import { databasePool } from '../db/pool';
import { newId } from '../ids';
import type { Business, BusinessInput, BusinessPatch } from './businessSchemas';

interface BusinessRow {
  id: string;
  name: string;
  type: string;
  contact_email: string | null;
  contact_phone: string | null;
  address: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, name, type, contact_email, contact_phone, address, active, created_at, updated_at';
/** API field → column, for the fields a caller may change. */
const COLUMN_OF: Record<keyof BusinessInput, string> = {
  name: 'name',
  type: 'type',
  contactEmail: 'contact_email',
  contactPhone: 'contact_phone',
  address: 'address',
  active: 'active',
};

function toBusiness(row: BusinessRow): Business {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    contactEmail: row.contact_email,
    contactPhone: row.contact_phone,
    address: row.address,
    active: row.active,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function listBusinesses(): Promise<Business[]> {
  const { rows } = await databasePool().query<BusinessRow>(
    `SELECT ${COLUMNS} FROM businesses ORDER BY lower(name), id`,
  );
  return rows.map(toBusiness);
}

export async function findBusiness(id: string): Promise<Business | undefined> {
  const { rows } = await databasePool().query<BusinessRow>(`SELECT ${COLUMNS} FROM businesses WHERE id = $1`, [id]);
  return rows[0] && toBusiness(rows[0]);
}

export async function createBusiness(input: BusinessInput): Promise<Business> {
  const { rows } = await databasePool().query<BusinessRow>(
    `INSERT INTO businesses (id, name, type, contact_email, contact_phone, address, active)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [newId(), input.name, input.type, input.contactEmail, input.contactPhone, input.address, input.active],
  );
  return toBusiness(rows[0] as BusinessRow);
}

/** Changes the given fields (all of them for a PUT); undefined when there is no such business. */
export async function updateBusiness(id: string, patch: BusinessPatch): Promise<Business | undefined> {
  const entries = Object.entries(patch).filter(([, value]) => value !== undefined) as [keyof BusinessInput, unknown][];
  const assignments = entries.map(([field], index) => `${COLUMN_OF[field]} = $${index + 2}`);
  const { rows } = await databasePool().query<BusinessRow>(
    `UPDATE businesses SET ${[...assignments, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ...entries.map(([, value]) => value)],
  );
  return rows[0] && toBusiness(rows[0]);
}

/** Deletes the business and (ON DELETE CASCADE) its employees; false when there was none. */
export async function deleteBusiness(id: string): Promise<boolean> {
  const { rowCount } = await databasePool().query('DELETE FROM businesses WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}
