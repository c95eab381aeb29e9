/**
 * Structured JSON logs (pino). Credentials and tokens are redacted by path wherever they appear
 * in a logged object; code never logs them on purpose either.
 */
import { createRequire } from 'node:module';
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
  'authorization',
  '*.authorization',
  'headers.cookie',
  '*.headers.cookie',
  '*.api_key',
  '*.api_secret',
  '*.access_token',
  '*.secret',
  'secret_key',
  '*.secret_key',
  'hs256_secret',
  '*.hs256_secret',
];

/** pino-pretty is a dev dependency: a production install (the Docker image) logs JSON instead. */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * A logger at `level`, JSON lines on stdout (or `destination`), or human-readable lines when
 * `pretty` is asked for and pino-pretty is installed.
 */
export function createLogger(opts: {
  level: string;
  pretty?: boolean;
  destination?: pino.DestinationStream;
}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level,
    base: { service: 'ordergate' },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.pretty && !opts.destination && prettyAvailable()) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true },
      },
    });
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
