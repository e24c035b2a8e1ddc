/**
 * Primary keys of every replicated table: UUID version 7 (RFC 9562), made in app code so that any node can create
 * rows without coordination and keys sort by creation time. Never serial or identity columns.
 */
import { v7 as uuidv7, validate, version } from 'uuid';

export function newId(): string {
  return uuidv7();
}

export function isUuid(value: string): boolean {
  return validate(value);
}

export function uuidVersion(value: string): number {
  return version(value);
}
