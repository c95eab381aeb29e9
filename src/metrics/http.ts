/**
 * HTTP metrics: one Hono middleware counting requests and timing them by method, route template
 * and status. The route label is the pattern the request matched (`/accounts/:id/orders`), never
 * the raw path, so account and order ids can't multiply series.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Histogram, type Registry } from 'prom-client';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Seconds: most answers take a millisecond; a batch with a rollback takes seconds. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The route template of the handler a request matched: the last matched route registered for a
 * method (middleware registered with use() is method ALL). `unmatched` when no handler matched
 * (404s, CORS preflights).
 */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    if (r && r.method !== 'ALL') return r.path;
  }
  return 'unmatched';
}

/** A middleware that records `ordergate_http_requests_total` and its duration histogram. */
export function httpMetrics(
  registry: Registry,
  now: () => number = () => performance.now(),
): MiddlewareHandler {
  const requests = new Counter({
    name: 'ordergate_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ordergate_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template.',
    labelNames: ['method', 'route'],
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  return async (c, next) => {
    const started = now();
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      const route = routeTemplate(c);
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, (now() - started) / 1000);
    }
  };
}
