/**
 * Request ids and one log line per HTTP request. An incoming `X-Request-Id` is kept when it is
 * sane (1 to 128 of `A-Z a-z 0-9 _ - =`, Hono's request-id rule), else one is generated; either
 * way it is set on the response and on the log line. Requests log at debug; a 5xx or a request
 * slower than `slowMs` logs at info, so an info-level log shows trouble without per-request noise.
 * The line carries the path without its query (a browser may put a token there) and no headers.
 */
import type { MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import type { Logger } from '../util/log.js';
import { routeTemplate } from './http.js';

/** The logger, and injectable id generator and clock. */
export interface RequestLogOptions {
  log: Logger;
  newId?: () => string;
  now?: () => number;
  /** A request that takes longer logs at info (default 1000 ms). */
  slowMs?: number;
}

/** The request-id middleware followed by the request logger. */
export function requestLog(opts: RequestLogOptions): MiddlewareHandler[] {
  const { log } = opts;
  const newId = opts.newId ?? (() => crypto.randomUUID());
  const now = opts.now ?? (() => performance.now());
  const slowMs = opts.slowMs ?? 1_000;
  const logRequest: MiddlewareHandler = async (c, next) => {
    const started = now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const ms = Math.round((now() - started) * 10) / 10;
      const level = status >= 500 || ms >= slowMs ? 'info' : 'debug';
      if (log.isLevelEnabled(level)) {
        log[level](
          {
            req_id: c.get('requestId'),
            method: c.req.method,
            route: routeTemplate(c),
            path: c.req.path,
            status,
            ms,
          },
          'http request',
        );
      }
    }
  };
  return [requestId({ limitLength: 128, generator: () => newId() }), logRequest];
}
