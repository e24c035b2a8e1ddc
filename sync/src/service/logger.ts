/** Structured JSON logs (pino). Secrets never reach a log call; the redaction list is a second line of defence. */
import pino, { type Logger } from 'pino';
import type { LogLevel } from '@msk/contract';

export type { Logger };

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown>,
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service: 'msk-sync', ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['*.registrationKey', '*.nextAuthSecret', '*.syncRegistrationKey', '*.databaseUrl', '*.key'],
        censor: '[secret]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
