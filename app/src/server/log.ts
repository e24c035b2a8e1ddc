/**
 * Structured JSON logs on stdout (pino). Never pass a secret: fingerprint(value) from the contract instead.
 */
import pino, { type Logger } from 'pino';
import { processSingleton } from './processSingleton';

export function log(): Logger {
  return processSingleton('msk.app.logger', () =>
    pino({ base: { service: 'app' }, timestamp: pino.stdTimeFunctions.isoTime }),
  );
}
