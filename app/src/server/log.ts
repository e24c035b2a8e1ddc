/**
 * Structured JSON logs on stdout (pino). Never pass a secret: fingerprint(value) from the contract instead.
 */
import pino, { type Logger } from 'pino';

const LOGGER_KEY = Symbol.for('msk.app.logger');
type LoggerHolder = { [LOGGER_KEY]?: Logger };

export function log(): Logger {
  const holder = globalThis as LoggerHolder;
  holder[LOGGER_KEY] ??= pino({ base: { service: 'app' }, timestamp: pino.stdTimeFunctions.isoTime });
  return holder[LOGGER_KEY];
}
