/**
 * GET /metrics: the registry in Prometheus text format. It never takes a client JWT; when
 * config `metrics.token` is set it takes `Authorization: Bearer <that token>` instead (401
 * otherwise), compared in constant time. The token is never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { GatewayError } from '../util/errors.js';

/** What GET /metrics serves, and the token it asks for. */
export interface MetricsRouteDeps {
  registry: Registry;
  /** The bearer token scrapes must present; undefined leaves /metrics open. */
  token?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when the Authorization header is `Bearer <expected>`. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m !== null && timingSafeEqual(digest(m[1] as string), digest(expected));
}

/** The /metrics route, to mount ahead of any client authentication. */
export function metricsRoutes(deps: MetricsRouteDeps): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    if (deps.token !== undefined && !bearerMatches(c.req.header('authorization'), deps.token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new GatewayError('unauthorized', '/metrics needs its bearer token (config metrics.token)');
    }
    const body = await deps.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.registry.contentType });
  });
  return app;
}
