/**
 * The HTTP API (DESIGN.md "REST"): health, readiness, link status and the gateway's view of
 * orders. One error handler maps GatewayError codes to statuses and JSON bodies.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { type AuthEnv, authenticate, authorize } from './auth/http.js';
import type { Verifier } from './auth/jwt.js';
import { isAdmin, visibleAccounts } from './auth/principal.js';
import type { StreamKind } from './downstream/session.js';
import type { Order } from './orders/model.js';
import type { LinkStatus } from './upstream/link.js';
import { GatewayError } from './util/errors.js';
import type { Logger } from './util/log.js';

export interface AppDeps {
  accounts: readonly string[];
  linkStatuses(): LinkStatus[];
  clientCounts(): Record<StreamKind, number>;
  orders(accountId: string): Order[];
  order(accountId: string, orderId: string): Order | undefined;
  log: Logger;
  /** More routes, mounted at the root (batch orders). */
  routes?: Hono<AuthEnv>;
  /** Readiness of the durable store. */
  storeReady?: () => boolean;
  /** Verifies client tokens; null runs without authentication (serve --insecure-no-auth). */
  verifier: Verifier | null;
  security: { corsOrigins: readonly string[]; maxBodyBytes: number };
  /** Run before everything else: request id, request log, HTTP metrics. */
  middleware?: MiddlewareHandler[];
  /** Mounted ahead of every other middleware and of client auth: GET /metrics (own token). */
  publicRoutes?: Hono;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** The Hono app with every REST route and the one error handler. */
export function createApp(deps: AppDeps) {
  const accounts = new Set(deps.accounts);
  const app = new Hono<AuthEnv>();
  const origins = new Set(deps.security.corsOrigins);
  for (const m of deps.middleware ?? []) app.use(m);
  if (deps.publicRoutes) app.route('/', deps.publicRoutes);

  app.use(secureHeaders());
  // CORS for the allowlisted browser origins only; WebSocket upgrades check Origin themselves.
  app.use(cors({ origin: (origin) => (origins.has(origin) ? origin : null), credentials: false }));
  app.use(
    bodyLimit({
      maxSize: deps.security.maxBodyBytes,
      onError: () => {
        throw new GatewayError('payload_too_large', `body over ${deps.security.maxBodyBytes} bytes`);
      },
    }),
  );
  app.use('/accounts/*', authenticate(deps.verifier));
  app.use('/ws/status', authenticate(deps.verifier));

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/ready', (c) => {
    const links = deps.linkStatuses().map((l) => ({ account_id: l.account_id, state: l.state }));
    const store = deps.storeReady ? deps.storeReady() : true;
    const ready = store && links.every((l) => l.state === 'connected');
    return c.json({ ready, store, links }, ready ? 200 : 503);
  });

  // Details for admins; others see the state of the links of their own accounts.
  app.get('/ws/status', (c) => {
    const p = c.get('principal');
    if (isAdmin(p)) return c.json({ links: deps.linkStatuses(), clients: deps.clientCounts() });
    const mine = new Set(visibleAccounts(p, deps.accounts));
    const links = deps
      .linkStatuses()
      .filter((l) => mine.has(l.account_id))
      .map(({ account_id, state, since }) => ({ account_id, state, since }));
    return c.json({ links });
  });

  app.get('/accounts/:id/orders', (c) => {
    const id = c.req.param('id');
    authorize(c, 'orders:read', id, accounts);
    return c.json({ account_id: id, orders: deps.orders(id) });
  });

  app.get('/accounts/:id/orders/:orderId', (c) => {
    const id = c.req.param('id');
    authorize(c, 'orders:read', id, accounts);
    const order = deps.order(id, c.req.param('orderId'));
    if (!order) throw new GatewayError('not_found', 'no such order on this account');
    return c.json(order);
  });

  if (deps.routes) app.route('/', deps.routes);

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.onError((err, c) => {
    if (err instanceof GatewayError) {
      const body =
        err.details === undefined
          ? errorBody(err.code, err.message)
          : { error: { code: err.code, message: err.message, details: err.details } };
      return c.json(body, err.status as 400);
    }
    deps.log.error({ err: err.message, route: c.req.path }, 'unhandled error');
    return c.json(errorBody('internal', 'internal error'), 500);
  });

  return app;
}
