/**
 * The first admin's row, the same on every node of a cluster: its id, its bcrypt salt and (when ADMIN_PASSWORD is
 * unset) its password are derived from NEXTAUTH_SECRET, which every node shares, and the email. So every node of
 * a fresh cluster creates the SAME row, whatever the start order; replication merges the copies as one row, with
 * no unique-email conflict and no second admin. Pure.
 *
 * Deriving from NEXTAUTH_SECRET gives nothing away: whoever holds that secret can seal admin session cookies anyway.
 */
import { createHmac } from 'node:crypto';
import { BCRYPT_COST } from '../auth/passwords';

function derive(secret: string, purpose: string, email: string): Buffer {
  return createHmac('sha256', secret).update(`msk first admin ${purpose} v1\0${email}`, 'utf8').digest();
}

/** A UUID version 8 (RFC 9562: application-defined bits), since a v7 would carry each node's own clock. */
export function firstAdminId(secret: string, email: string): string {
  const bytes = derive(secret, 'id', email).subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const STANDARD_BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BCRYPT_BASE64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A bcrypt salt ("$2b$12$" + 22 characters of bcrypt's base64), so every node computes the same hash. */
export function firstAdminSalt(secret: string, email: string): string {
  const encoded = derive(secret, 'salt', email).subarray(0, 16).toString('base64').replace(/=+$/, '');
  const translated = [...encoded].map((c) => BCRYPT_BASE64[STANDARD_BASE64.indexOf(c)]).join('');
  return `$2b$${String(BCRYPT_COST).padStart(2, '0')}$${translated.slice(0, 22)}`;
}

/** The password when ADMIN_PASSWORD is unset: every node prints the same one (24 characters, 144 bits). */
export function derivedAdminPassword(secret: string, email: string): string {
  return derive(secret, 'password', email).subarray(0, 18).toString('base64url');
}
