/**
 * The `ticker-service` wire format (DESIGN.md "Upstream"): the stream at
 * /advanced/ws/orders/{account} with `order_update` envelopes and a text ping/pong, the order
 * book, place and cancel at /advanced/orders, and the native batch at /advanced/batch-orders.
 */
import { Hono } from 'hono';
import { BatchRequestSchema, runBatch } from './batch.js';
import { PlaceOrderSchema } from './order.js';
import { errorBody, firstIssue, readJson, type SimContext, type Upgrade, type WireFormat } from './wire.js';

const streamPath = /^\/advanced\/ws\/orders\/([^/]+)\/?$/;

function routes(ctx: SimContext): Hono {
  const { engine } = ctx;
  const app = new Hono();
  const unknown = (account: string) => errorBody('unknown_account', `no such account: ${account}`);

  app.get('/advanced/orders/:account', async (c) => {
    const account = c.req.param('account');
    if (!engine.has(account)) return c.json(unknown(account), 404);
    const orders = engine.book(account, c.req.query('tag'));
    await ctx.restDelay(account);
    return c.json({ orders });
  });

  app.post('/advanced/orders/:account', async (c) => {
    const account = c.req.param('account');
    if (!engine.has(account)) return c.json(unknown(account), 404);
    const body = await readJson(c.req);
    const req = body && PlaceOrderSchema.safeParse(body.value);
    if (!req?.success) {
      await ctx.restDelay(account);
      const message = req ? firstIssue(req.error) : 'body is not JSON';
      return c.json(errorBody('invalid_request', message), 400);
    }
    const { ok, order } = engine.place(account, req.data);
    await ctx.restDelay(account);
    if (!ok) {
      const error = errorBody('order_rejected', order.status_message ?? 'rejected');
      return c.json({ ...error, order_id: order.order_id }, 422);
    }
    return c.json({ order_id: order.order_id, status: order.status });
  });

  app.delete('/advanced/orders/:account/:orderId', async (c) => {
    const account = c.req.param('account');
    if (!engine.has(account)) return c.json(unknown(account), 404);
    const res = engine.cancel(account, c.req.param('orderId'));
    await ctx.restDelay(account);
    if (res.ok) return c.json({ order_id: res.order.order_id, status: res.order.status });
    if (res.code === 'not_found') return c.json(errorBody('not_found', 'no such order'), 404);
    return c.json(errorBody('not_cancellable', `order is ${res.order.status}`), 409);
  });

  app.post('/advanced/batch-orders', async (c) => {
    const body = await readJson(c.req);
    const req = body && BatchRequestSchema.safeParse(body.value);
    if (!req?.success) {
      return c.json(errorBody('invalid_request', req ? firstIssue(req.error) : 'body is not JSON'), 400);
    }
    const account = req.data.account_id;
    if (!engine.has(account)) return c.json(unknown(account), 404);
    const result = runBatch(engine, req.data, ctx.nextBatchId());
    await ctx.restDelay(account);
    return c.json(result);
  });

  return app;
}

/** The four ways the sim garbles a frame: not JSON, wrong types, no data, unknown type. */
function malformed(account: string, n: number): string {
  switch (n % 4) {
    case 0:
      return `{"type":"order_update","account_id":${JSON.stringify(account)},"data":{"order_id":`;
    case 1:
      return JSON.stringify({
        type: 'order_update',
        account_id: account,
        data: { order_id: true, tradingsymbol: 42, transaction_type: 'HOLD', status: null },
      });
    case 2:
      return JSON.stringify({ type: 'order_update', account_id: account });
    default:
      return JSON.stringify({ type: 'margin_update', account_id: account, data: { net: 1 } });
  }
}

/** The account a stream path names, or null when it is not the stream path (or badly escaped). */
function pathAccount(pathname: string): string | null {
  const m = streamPath.exec(pathname);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null; // a broken %-escape names no account
  }
}

/** The stream needs no credentials: an unknown account is 404, an auth_fail fault 401. */
function upgrade(ctx: SimContext, url: URL): Upgrade | null {
  const account = pathAccount(url.pathname);
  if (account === null) return null;
  if (!ctx.engine.has(account)) {
    return { kind: 'refuse', status: 404, body: errorBody('unknown_account', `no such account: ${account}`) };
  }
  if (ctx.faults.take(account, 'auth_fail')) {
    return { kind: 'refuse', status: 401, body: errorBody('unauthorized', 'invalid credentials') };
  }
  return { kind: 'accept', account };
}

/** The `ticker-service` dialect of the simulator. */
export function createTickerServiceFormat(ctx: SimContext): WireFormat {
  return {
    name: 'ticker-service',
    routes: () => routes(ctx),
    upgrade: (url) => upgrade(ctx, url),
    onMessage: (_session, data, isBinary) =>
      !isBinary && data.toString('utf8') === 'ping' ? [{ kind: 'send', frame: 'pong' }] : [],
    encode: (account, order, _change, timestamp) =>
      JSON.stringify({ type: 'order_update', account_id: account, data: order, timestamp }),
    malformed,
  };
}
