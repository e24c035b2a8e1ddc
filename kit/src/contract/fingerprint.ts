import { createHash } from 'node:crypto';
import type { VariableSpec } from './variables';

/**
 * A short, stable fingerprint so two servers' secrets can be compared by eye without showing them.
 * Only ever applied to high-entropy values (weak secrets are rejected), so it reveals nothing usable.
 */
export function fingerprint(value: string): string {
  return 'fp:' + createHash('sha256').update('multi-server-kit fingerprint v1\0').update(value, 'utf8').digest('hex').slice(0, 8);
}

/** How a value may be shown to a person: secrets as a fingerprint (or redacted), others as they are. */
export function displayValue(spec: VariableSpec, value: string): string {
  if (!spec.secret) return JSON.stringify(value);
  if (spec.redact) return spec.redact(value);
  return value === '' ? '(empty)' : fingerprint(value);
}
