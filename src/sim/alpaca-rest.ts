/**
 * Alpaca's Trading API order routes over the engine (https://docs.alpaca.markets/reference/postorder,
 * .../getallorders, .../deleteorderbyorderid, .../getorderbyclientorderid): GET /v2/orders (paged),
 * GET /v2/orders/{id}, GET /v2/orders:by_client_order_id, POST /v2/orders (JSON) and
 * DELETE /v2/orders/{id}. Auth: `APCA-API-KEY-ID` (the account) and `APCA-API-SECRET-KEY` (any);
 * failures are 401 `{"code":40110000,"message":"request is not authorized"}`.
 *
 * A rejected placement is Alpaca's synchronous 403 ("insufficient buying power"): no order is
 * created, so reject_next leaves nothing in the book or on the stream. (Background orders can
 * still end `rejected` on the stream: an order Alpaca took and the venue then refused.)
 */
import { type Context, Hono } from 'hono';
import { alpacaId, clientOrderId, toAlpacaOrder } from './alpaca-order.js';
import { AlpacaPlaceSchema, toPlaceOrder } from './alpaca-place.js';
import { ListQuerySchema, listOrders } from './alpaca-query.js';
import type { SimOrder } from './order.js';
import { firstIssue, readJson, type SimContext } from './wire.js';

type Env = { Variables: { account: string } };
type Status = 401 | 403 | 404 | 422;

const alpacaError = (c: Context, status: Status, code: number, message: string) =>
  c.json({ code, message }, status);

/** The Alpaca REST routes. */
export function alpacaRoutes(ctx: SimContext): Hono {
  const { engine } = ctx;
  const app = new Hono<Env>();
  const find = (account: string, match: (o: SimOrder) => boolean) => engine.book(account).find(match);
  const notFound = (c: Context) => alpacaError(c, 404, 40410000, 'order not found');

  app.use('/v2/*', async (c, next) => {
    const key = c.req.header('APCA-API-KEY-ID') ?? '';
    const secret = c.req.header('APCA-API-SECRET-KEY') ?? '';
    if (!key || !secret || !engine.has(key) || ctx.faults.active(key, 'auth_fail')) {
      return alpacaError(c, 401, 40110000, 'request is not authorized');
    }
    c.set('account', key);
    await next();
  });

  app.get('/v2/orders', async (c) => {
    const account = c.get('account');
    const q = ListQuerySchema.safeParse(c.req.query());
    if (!q.success) return alpacaError(c, 422, 40010001, firstIssue(q.error));
    const all = engine.book(account).map((o) => toAlpacaOrder(account, o));
    const page = listOrders(all, q.data);
    await ctx.restDelay(account);
    return c.json(page);
  });

  app.get('/v2/orders:by_client_order_id', async (c) => {
    const account = c.get('account');
    const wanted = c.req.query('client_order_id') ?? '';
    const o = find(account, (x) => clientOrderId(account, x) === wanted);
    await ctx.restDelay(account);
    return o ? c.json(toAlpacaOrder(account, o)) : notFound(c);
  });

  app.get('/v2/orders/:id', async (c) => {
    const account = c.get('account');
    const o = find(account, (x) => alpacaId(account, x.order_id) === c.req.param('id'));
    await ctx.restDelay(account);
    return o ? c.json(toAlpacaOrder(account, o)) : notFound(c);
  });

  app.post('/v2/orders', async (c) => {
    const account = c.get('account');
    const body = await readJson(c.req);
    const req = body ? AlpacaPlaceSchema.safeParse(body.value) : null;
    if (!req?.success) {
      return alpacaError(c, 422, 40010001, req ? firstIssue(req.error) : 'request body format is invalid');
    }
    const wanted = req.data.client_order_id;
    if (wanted !== undefined && find(account, (x) => clientOrderId(account, x) === wanted)) {
      return alpacaError(c, 422, 40010001, 'client_order_id must be unique');
    }
    const { ok, order } = engine.place(account, toPlaceOrder(req.data), { dropRejected: true });
    await ctx.restDelay(account);
    if (!ok) return alpacaError(c, 403, 40310000, 'insufficient buying power');
    return c.json(toAlpacaOrder(account, order));
  });

  app.delete('/v2/orders/:id', async (c) => {
    const account = c.get('account');
    const o = find(account, (x) => alpacaId(account, x.order_id) === c.req.param('id'));
    const res = o ? engine.cancel(account, o.order_id) : null;
    await ctx.restDelay(account);
    if (!res || !(res.ok || res.code === 'not_cancellable')) return notFound(c);
    if (!res.ok) return alpacaError(c, 422, 42210000, 'order is not cancelable');
    return c.body(null, 204);
  });

  return new Hono().route('/', app);
}
