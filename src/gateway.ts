/**
 * The gateway assembled: per-account links feeding the order book and the hub, the downstream
 * WebSocket server and the HTTP app on one port. main.ts builds it from config; tests build it
 * in-process with their own clock and randomness.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { Agent } from 'undici';
import { createApp } from './app.js';
import type { Verifier } from './auth/jwt.js';
import { createBatchExecutor, type Desk } from './batch/executor.js';
import { createRateLimiter } from './batch/rate-limit.js';
import { batchRoutes } from './batch/routes.js';
import type { AccountConfig, Config } from './config/schema.js';
import { createDownstream } from './downstream/server.js';
import { createHub, type Hub } from './hub/hub.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/index.js';
import { isTerminal } from './orders/model.js';
import { createOrderBook, type OrderBook } from './orders/state.js';
import type { Store } from './store/types.js';
import { dialectFor } from './upstream/dialects/index.js';
import { createLink, type Link } from './upstream/link.js';
import { createRestClient, type RestClient } from './upstream/rest.js';
import { type Clock, systemClock } from './util/clock.js';
import { type Logger, silentLogger } from './util/log.js';
import type { Random } from './util/rng.js';

export interface GatewayDeps {
  config: Config;
  /** Durable state: the batch journal and idempotency keys. The gateway closes it on stop. */
  store: Store;
  /** Verifies client tokens; absent or null runs without authentication (--insecure-no-auth). */
  verifier?: Verifier | null;
  /** Resolved credentials of an account (secrets never travel inside Config). */
  credentials(account: AccountConfig): Record<string, string>;
  clock?: Clock;
  random?: Random;
  log?: Logger;
  newId?: () => string;
  /** Where the gateway registers its metrics (main.ts: one per process); default a fresh one. */
  metrics?: Registry;
  /** Resolved config metrics.token: the bearer token GET /metrics requires, if any. */
  metricsToken?: string;
}

export interface Gateway {
  readonly app: ReturnType<typeof createApp>;
  readonly links: ReadonlyMap<string, Link>;
  /** Resolves once batches left in flight by a previous process are finished (after listen). */
  recovered(): Promise<number>;
  /** Starts listening and connecting upstream; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting, closes clients with 1001 and upstream links, and frees the port. */
  stop(): Promise<void>;
}

/** Builds the gateway from config and its dependencies; nothing runs until listen(). */
export function createGateway(deps: GatewayDeps): Gateway {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLogger;
  const accountIds = config.accounts.map((a) => a.id);
  const book = createOrderBook({ maxPerAccount: config.downstream.max_orders_per_account });
  // Sources are read at scrape time, after the links and the downstream server below exist.
  const metrics = createGatewayMetrics(deps.metrics ?? new Registry(), {
    accounts: accountIds,
    linkStatuses: () => [...links.values()].map((l) => l.status()),
    published: (id) => hub.seq(id),
    clientCounts: () => downstream.clientCounts(),
    messagesSent: () => downstream.messagesSent(),
    log,
    token: deps.metricsToken,
  });
  const hub = createHub({
    epoch: randomBytes(4).toString('hex'),
    historySize: config.downstream.history_size,
    now: clock.now,
    onFanOut(m, subscribers) {
      if (subscribers > 0) metrics.downstream.relayed(clock.now() - m.receivedAt);
    },
  });
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  const rest = createRestClient({ dispatcher, timeoutMs: config.upstream.rest_timeout_ms });

  const parts: AccountParts = { deps, clock, log, rest, book, hub, metrics };
  const links = new Map<string, Link>(config.accounts.map((a) => [a.id, accountLink(a, parts)]));
  const desks = new Map<string, Desk>();
  for (const a of config.accounts) {
    const desk = accountDesk(a, links.get(a.id) as Link, parts);
    if (desk) desks.set(a.id, desk);
  }
  const executor = createBatchExecutor({
    store: deps.store,
    clock,
    log,
    desks,
    settings: {
      legTimeoutMs: config.batch.leg_timeout_ms,
      finalStateTimeoutMs: config.batch.final_state_timeout_ms,
      pollMs: 100,
    },
    onFinished: metrics.batches.finished,
  });

  const downstream = createDownstream({
    hub,
    upstreamStatus: (accountId) => {
      const status = links.get(accountId)?.status();
      return status && { state: status.state, since: status.since };
    },
    orders: book.list,
    accounts: accountIds,
    clock,
    log,
    newId: deps.newId ?? randomUUID,
    settings: {
      heartbeatMs: config.downstream.heartbeat_ms,
      bufferLimitBytes: config.downstream.client_buffer_limit_bytes,
      maxPayloadBytes: config.security.max_ws_payload_bytes,
      origins: config.security.cors_origins,
      maxConnectionsPerSubject: config.security.max_connections_per_subject,
      maxSubscriptions: config.security.max_subscriptions_per_connection,
      messagesPerSecond: config.security.ws_messages_per_s,
      messageBurst: config.security.ws_message_burst,
    },
    verifier: deps.verifier ?? null,
    onDisconnect: (_stream, reason) => metrics.downstream.disconnected(reason),
    onResume: metrics.downstream.resumed,
  });

  const app = createApp({
    accounts: accountIds,
    linkStatuses: () => [...links.values()].map((l) => l.status()),
    clientCounts: downstream.clientCounts,
    orders: book.list,
    order: book.get,
    log,
    routes: batchRoutes({
      accounts: new Set(desks.keys()),
      executor,
      store: deps.store,
      now: clock.now,
      rate: { perSecond: config.security.batches_per_s, burst: config.security.batch_burst },
      onReplay: metrics.batches.replayed,
    }),
    middleware: metrics.middleware,
    publicRoutes: metrics.routes,
    verifier: deps.verifier ?? null,
    security: { corsOrigins: config.security.cors_origins, maxBodyBytes: config.security.max_body_bytes },
    storeReady: () => {
      try {
        return deps.store.ping();
      } catch {
        return false;
      }
    },
  });
  let recovery: Promise<number> = Promise.resolve(0);

  let server: ReturnType<typeof serve> | undefined;

  return {
    app,
    links,
    recovered: () => recovery,
    listen() {
      return new Promise((resolve, reject) => {
        const s = serve(
          { fetch: app.fetch, port: config.port, hostname: config.host },
          (info: AddressInfo) => {
            for (const l of links.values()) l.start();
            recovery = executor.recover().catch((err) => {
              log.error({ err: (err as Error).message }, 'batch recovery failed');
              return 0;
            });
            resolve({ host: info.address, port: info.port });
          },
        );
        s.on('error', reject);
        s.on('upgrade', (req, socket, head) => {
          try {
            if (downstream.handleUpgrade(req, socket, head)) return;
            socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          } catch (err) {
            // Whatever a client sends, an upgrade must never take the process down.
            log.warn({ err: (err as Error).message }, 'upgrade failed');
            socket.destroy();
          }
        });
        server = s;
      });
    },
    async stop() {
      const s = server;
      const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
      await downstream.close();
      // Batches still running keep their broker and stream until they finish, for a while; what
      // is left is journaled and finished on the next start.
      await executor.drain(config.batch.final_state_timeout_ms);
      await Promise.all([...links.values()].map((l) => l.stop()));
      if (s && 'closeAllConnections' in s) s.closeAllConnections();
      await closed;
      await recovery;
      await dispatcher.close();
      deps.store.close();
    },
  };
}

/** What every account's link and desk are built from. */
interface AccountParts {
  deps: GatewayDeps;
  clock: Clock;
  log: Logger;
  rest: RestClient;
  book: OrderBook;
  hub: Hub;
  metrics: GatewayMetrics;
}

/** The account's upstream link: its orders go through the book's guards, then to the hub. */
function accountLink(a: AccountConfig, p: AccountParts): Link {
  const { deps, clock, log, rest, book, hub, metrics } = p;
  const { config } = deps;
  const dialect = dialectFor(a.dialect);
  return createLink({
    account: {
      id: a.id,
      wsUrl: a.ws_url,
      restUrl: a.rest_url,
      credentials: deps.credentials(a),
      timeZone: a.time_zone ?? dialect.defaultTimeZone,
    },
    dialect,
    rest,
    clock,
    random: deps.random ?? Math.random,
    log,
    settings: {
      heartbeatMs: config.upstream.heartbeat_ms,
      handshakeTimeoutMs: config.upstream.handshake_timeout_ms,
      backoffMinMs: config.upstream.backoff_min_ms,
      backoffMaxMs: config.upstream.backoff_max_ms,
    },
    onOrder(order, receivedAt, source) {
      const verdict = book.apply(order);
      if (verdict.accept) {
        if (source === 'resync') metrics.upstream.recovered(a.id);
        hub.publish(order, receivedAt);
        return;
      }
      metrics.upstream.dropped(a.id, verdict.reason);
      log.debug({ account: a.id, order: order.order_id, reason: verdict.reason }, 'update dropped');
    },
    onResync: (result) => metrics.upstream.resync(a.id, result),
    knownOpen: () =>
      book
        .list(a.id)
        .filter((o) => !isTerminal(o.status))
        .map((o) => o.order_id),
    onState({ accountId, to, at }) {
      hub.publishStatus({ account_id: accountId, state: to, since: new Date(at).toISOString() });
    },
  });
}

/** The account's batch desk, when its dialect can place orders. */
function accountDesk(a: AccountConfig, link: Link, p: AccountParts): Desk | undefined {
  const { clock, rest, book } = p;
  const dialect = dialectFor(a.dialect);
  if (!dialect.orders) return undefined;
  return {
    mode: a.batch_mode ?? (dialect.orders.batch ? 'native' : 'gateway'),
    api: dialect.orders,
    rest,
    account: link.account,
    linkState: () => link.status().state,
    known: (orderId) => book.get(a.id, orderId),
    limiter: createRateLimiter({
      perSecond: a.order_rate_per_s,
      burst: Math.max(1, Math.ceil(a.order_rate_per_s)),
      clock,
    }),
  };
}
