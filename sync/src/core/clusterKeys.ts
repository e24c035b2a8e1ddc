/**
 * Keys derived from SYNC_REGISTRATION_KEY with HKDF-SHA-256, one per purpose, so a value computed for one
 * purpose (an mDNS tag, a config fingerprint) can never stand in for another (a handshake proof).
 * The registration key itself is used for nothing else and never leaves the process.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { type Field, encodeFields } from './encoding';

const SALT = 'msk-sync/v1 cluster keys';
const KEY_BYTES = 32;

export const KEY_PURPOSES = ['handshake', 'session', 'cluster-tag', 'config-fingerprint'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

export type ClusterKeys = Readonly<Record<KeyPurpose, Buffer>>;

export function hkdf(ikm: Buffer | string, salt: Buffer | string, info: string, bytes = KEY_BYTES): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, bytes));
}

export function deriveClusterKeys(registrationKey: string): ClusterKeys {
  const ikm = Buffer.from(registrationKey, 'utf8');
  const keys = {} as Record<KeyPurpose, Buffer>;
  for (const purpose of KEY_PURPOSES) keys[purpose] = hkdf(ikm, SALT, `msk-sync/v1 ${purpose}`);
  return keys;
}

export function macHex(key: Buffer, fields: readonly Field[]): string {
  return createHmac('sha256', key).update(encodeFields(fields)).digest('hex');
}

/** Constant-time comparison of two hex strings (false for different lengths). */
export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length * 2 === a.length && timingSafeEqual(x, y);
}

/**
 * Tag carried in mDNS TXT records so nodes of another cluster are skipped before any handshake.
 * It filters, it does not authenticate: anyone who hears it can repeat it; trust still comes from the handshake.
 */
export function clusterTag(keys: ClusterKeys): string {
  return macHex(keys['cluster-tag'], ['mdns cluster tag']).slice(0, 16);
}
