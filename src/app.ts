/**
 * The HTTP API (DESIGN.md "REST"): health, readiness, link status and the gateway's view of
 * orders. One error handler maps GatewayError codes to statuses and JSON bodies.
 */
import { Hono } from 'hono';
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
  routes?: Hono;
  /** Readiness of the durable store. */
  storeReady?: () => boolean;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

export function createApp(deps: AppDeps) {
  const accounts = new Set(deps.accounts);
  const app = new Hono();

  const requireAccount = (id: string) => {
    if (!accounts.has(id)) throw new GatewayError('unknown_account', `no account ${JSON.stringify(id)}`);
  };

  app.get('/health', (c) => c.json({ status: 'ok' }));

  app.get('/ready', (c) => {
    const links = deps.linkStatuses().map((l) => ({ account_id: l.account_id, state: l.state }));
    const store = deps.storeReady ? deps.storeReady() : true;
    const ready = store && links.every((l) => l.state === 'connected');
    return c.json({ ready, store, links }, ready ? 200 : 503);
  });

  app.get('/ws/status', (c) => c.json({ links: deps.linkStatuses(), clients: deps.clientCounts() }));

  app.get('/accounts/:id/orders', (c) => {
    const id = c.req.param('id');
    requireAccount(id);
    return c.json({ account_id: id, orders: deps.orders(id) });
  });

  app.get('/accounts/:id/orders/:orderId', (c) => {
    const id = c.req.param('id');
    requireAccount(id);
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
