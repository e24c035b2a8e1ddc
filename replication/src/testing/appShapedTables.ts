/**
 * Test tables shaped like the application's: APP_SHAPED_DDL is the app's migration itself
 * (app/migrations/001_initial_schema.sql: users with a unique email, businesses, employees referencing businesses
 * ON DELETE CASCADE); APP_SHAPED_TABLES is what introspection yields for it (the in-memory store is given that),
 * and postgresCapture.int.test.ts checks that the store introspects exactly that from the migration.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnValue } from '../core/rowState';
import type { ReplicatedTable } from '../core/tableSchema';

export type Row = Record<string, ColumnValue>;

/** The app's own migration (never a copy, so the two can't drift): this file sits in {src,dist}/testing of the
 * replication workspace, three levels below the repository root. */
export const APP_MIGRATION_PATH = join(__dirname, '..', '..', '..', 'app', 'migrations', '001_initial_schema.sql');

export const APP_SHAPED_DDL = readFileSync(APP_MIGRATION_PATH, 'utf8');

export const APP_SHAPED_TABLE_NAMES = ['users', 'businesses', 'employees'] as const;

const TIMESTAMPTZ = 'timestamp with time zone';
/** A column as the PostgreSQL store introspects it: `defaultText` is its constant default's text (null: none or not constant). */
const col = (name: string, type: string, defaultText: string | null = null) => ({ name, type, defaultText });

export const APP_SHAPED_TABLES: readonly ReplicatedTable[] = [
  {
    name: 'users',
    primaryKey: 'id',
    columns: [
      col('id', 'uuid'),
      col('email', 'text'),
      col('name', 'text'),
      col('password_hash', 'text'),
      col('role', 'text'),
      col('created_at', TIMESTAMPTZ),
      col('updated_at', TIMESTAMPTZ),
    ],
    uniqueKeys: [{ name: 'users_email_key', columns: ['email'], renameColumn: 'email' }],
    foreignKeys: [],
  },
  {
    name: 'businesses',
    primaryKey: 'id',
    columns: [
      col('id', 'uuid'),
      col('name', 'text'),
      col('type', 'text'),
      col('contact_email', 'text'),
      col('contact_phone', 'text'),
      col('address', 'text'),
      col('active', 'boolean', 'true'),
      col('created_at', TIMESTAMPTZ),
      col('updated_at', TIMESTAMPTZ),
    ],
    uniqueKeys: [],
    foreignKeys: [],
  },
  {
    name: 'employees',
    primaryKey: 'id',
    columns: [
      col('id', 'uuid'),
      col('business_id', 'uuid'),
      col('name', 'text'),
      col('email', 'text'),
      col('title', 'text'),
      col('created_at', TIMESTAMPTZ),
      col('updated_at', TIMESTAMPTZ),
    ],
    uniqueKeys: [],
    foreignKeys: [{ name: 'employees_business_id_fkey', column: 'business_id', references: 'businesses' }],
  },
];

const RANDOM_POOL_BYTES = 16 * 512;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

/** 16 random bytes, cut from a pooled buffer (the benchmark's load generator makes ~100,000 ids/s: one
 * randomBytes call each cost it a third of its CPU, measured). */
function random16(): Buffer {
  if (randomOffset + 16 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  randomOffset += 16;
  return Buffer.from(randomPool.subarray(randomOffset - 16, randomOffset));
}

/** A UUID v7 (time-ordered, like the application makes), lowercase. */
export function uuidV7(nowMs: number = Date.now()): string {
  const bytes = random16();
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Canonical text of a timestamptz, as replication carries it. */
export function timestampText(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const FIXED_TIME = timestampText(Date.UTC(2024, 4, 1, 10, 0, 0));

export function userRow(overrides: Partial<Row> = {}): Row {
  const id = overrides.id ?? uuidV7();
  return {
    id,
    email: `user-${id!.slice(-12)}@example.com`,
    name: 'A User',
    password_hash: '$2b$10$abcdefghijklmnopqrstuv',
    role: 'member',
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
    ...overrides,
  };
}

export function businessRow(overrides: Partial<Row> = {}): Row {
  return {
    id: uuidV7(),
    name: 'Acme Bakery',
    type: 'retail',
    contact_email: 'hello@acme.example',
    contact_phone: '+1 555 0100',
    address: '1 Main Street',
    active: 'true',
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
    ...overrides,
  };
}

export function employeeRow(businessId: string, overrides: Partial<Row> = {}): Row {
  return {
    id: uuidV7(),
    business_id: businessId,
    name: 'An Employee',
    email: null,
    title: 'Baker',
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
    ...overrides,
  };
}

export const NODE_IDS = ['1111111111111111', '2222222222222222', '3333333333333333', '4444444444444444'] as const;
