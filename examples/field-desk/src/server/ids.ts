/**
 * Primary keys of the replicated tables: UUIDv7, made here in the app, so every node creates rows without asking
 * the others. The seeded first user is the exception: its key is derived from its email (UUIDv5), so every node
 * seeds the SAME row and replication sees one user, not two claiming one email.
 */
import { v5 as uuidv5, v7 as uuidv7, validate } from 'uuid';

const SEED_USER_NAMESPACE = '5b3c2f0e-8d1a-4f6e-9c2b-7a4d1e0f3b6c';

export const newId = (): string => uuidv7();
export const seedUserId = (email: string): string => uuidv5(email.toLowerCase(), SEED_USER_NAMESPACE);
export const isUuid = (value: string): boolean => validate(value);
