import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

export type { Logger };

/**
 * JSON logs, one line per decision. Secrets are kept out of log calls by design; the
 * redaction list is the second line of defence for objects that carry them anyway
 * (request headers, credentials, URLs with passwords).
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'headers["x-gitlab-token"]',
  'headers["x-hub-signature-256"]',
  'req.headers.authorization',
  'req.headers["x-gitlab-token"]',
  'credentials',
  '*.credentials',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'pyrelease' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
