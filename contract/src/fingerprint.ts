import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { VariableSpec } from './variables';

/**
 * A short, stable fingerprint so two servers' secrets can be compared by eye without showing them.
 * Only ever applied to high-entropy values (weak secrets are rejected), so it reveals nothing usable.
 */
export function fingerprint(value: string): string {
  return (
    'fp:' +
    createHash('sha256').update('multi-server-kit fingerprint v1\0').update(value, 'utf8').digest('hex').slice(0, 8)
  );
}

const KEY_HOLDER = Symbol.for('msk.kit.fingerprintKey');
type KeyHolder = { [KEY_HOLDER]?: Buffer };

/**
 * A fingerprint of a value a person may have chosen (a password): keyed with a random key this process makes once
 * and never shows. Two values compare equal within one report (one `doctor` run), but a printed fingerprint cannot
 * be checked against guesses offline, as an unkeyed one could for a weak password.
 */
export function keyedFingerprint(value: string): string {
  const holder = globalThis as KeyHolder;
  holder[KEY_HOLDER] ??= randomBytes(32);
  return 'kfp:' + createHmac('sha256', holder[KEY_HOLDER]).update(value, 'utf8').digest('hex').slice(0, 8);
}

/**
 * How a value may be shown to a person: secrets as a fingerprint (keyed for the ones a person may choose; see
 * keyedFingerprint), URLs with their password redacted, others as they are.
 */
export function displayValue(spec: VariableSpec, value: string): string {
  if (!spec.secret) return JSON.stringify(value);
  if (spec.redact) return spec.redact(value);
  if (value === '') return '(empty)';
  return spec.chosenByPerson ? keyedFingerprint(value) : fingerprint(value);
}
