/**
 * Structured JSON logs (pino). Credentials and tokens are redacted by path wherever they appear
 * in a logged object; code never logs them on purpose either.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

export const redactPaths = [
  'credentials',
  '*.credentials',
  'token',
  '*.token',
  'api_key',
  'api_secret',
  'access_token',
  'secret',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
];

export function createLogger(opts: { level: string; pretty?: boolean }): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: 'ordergate' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true },
      },
    });
  }
  return pino(options);
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
