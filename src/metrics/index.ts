/**
 * The gateway's Prometheus metrics (prom-client). main.ts builds one Registry and passes it to
 * createGateway; gateway.ts registers the gateway's metrics on it and hands the core modules
 * (links, hub, sessions, batches) plain hooks, so none of them imports prom-client.
 * Metric names and labels are listed in README "Observability".
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../util/log.js';
import { type BatchMetrics, batchMetrics } from './batch.js';
import { type DownstreamMetrics, type DownstreamSources, downstreamMetrics } from './downstream.js';
import { httpMetrics } from './http.js';
import { requestLog } from './request-log.js';
import { metricsRoutes } from './route.js';
import { type UpstreamMetrics, type UpstreamSources, upstreamMetrics } from './upstream.js';

export type { BatchMetrics, DownstreamMetrics, UpstreamMetrics };

/** A registry for one process, with prom-client's default process and Node.js metrics. */
export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The gateway parts the metrics read, and the options of the HTTP middleware and route. */
export interface GatewayMetricsDeps extends UpstreamSources, DownstreamSources {
  log: Logger;
  /** Request id generator for requests that bring none (or a malformed one). */
  newId?: () => string;
  /** Bearer token for /metrics; undefined leaves it open. */
  token?: string;
}

/** Hooks for the core modules, middleware and the /metrics route, all on one registry. */
export interface GatewayMetrics {
  upstream: UpstreamMetrics;
  downstream: DownstreamMetrics;
  batches: BatchMetrics;
  /** Request id, request log and HTTP metrics, to run before every route. */
  middleware: MiddlewareHandler[];
  /** GET /metrics, to mount before any client authentication. */
  routes: Hono;
}

/**
 * Registers every gateway metric on `registry`. Sources are read only when Prometheus scrapes,
 * so they may close over parts of the gateway built after this call.
 */
export function createGatewayMetrics(registry: Registry, deps: GatewayMetricsDeps): GatewayMetrics {
  return {
    upstream: upstreamMetrics(registry, deps),
    downstream: downstreamMetrics(registry, deps),
    batches: batchMetrics(registry),
    middleware: [...requestLog({ log: deps.log, newId: deps.newId }), httpMetrics(registry)],
    routes: metricsRoutes({ registry, token: deps.token }),
  };
}
