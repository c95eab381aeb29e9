/**
 * Kite Connect v3's order REST API over the engine (https://kite.trade/docs/connect/v3/orders/):
 * GET /orders, GET /orders/{order_id} (history), POST /orders/{variety} (form-encoded) and
 * DELETE /orders/{variety}/{order_id}. Auth: `X-Kite-Version: 3` and
 * `Authorization: token api_key:access_token`, where the api_key names the account.
 * Errors are `{"status":"error","message","error_type"}` (https://kite.trade/docs/connect/v3/exceptions/).
 *
 * An RMS rejection is asynchronous in Kite: placement answers 200 with the order_id and the order
 * turns up REJECTED (book and stream). So reject_next answers 200 here; only bad input is a 400.
 */
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import type { KiteHistory } from './kite-history.js';
import { toKiteOrder } from './kite-order.js';
import { PlaceOrderSchema } from './order.js';
import { firstIssue, type SimContext } from './wire.js';

/** Kite caps an order's tag at 20 characters (orders docs, "tag"). */
export const KITE_TAG_MAX = 20;

const kiteError = (c: Context, status: 400 | 403 | 404, errorType: string, message: string) =>
  c.json({ status: 'error', message, error_type: errorType }, status);

const tokenError = (c: Context) =>
  kiteError(c, 403, 'TokenException', 'Incorrect `api_key` or `access_token`.');

const num = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .transform(Number);

/** The form fields of a placement; cross-field rules are PlaceOrderSchema's. */
const PlaceFormSchema = z.object({
  tradingsymbol: z.string().min(1),
  exchange: z.string().min(1),
  transaction_type: z.string(),
  order_type: z.string(),
  quantity: num,
  product: z.string(),
  // Kite clients send 0 for "no price" (pykiteconnect leaves the field out instead).
  price: num.optional().transform((n) => (n ? n : undefined)),
  trigger_price: num.optional().transform((n) => (n ? n : undefined)),
  tag: z.string().max(KITE_TAG_MAX, `tag is at most ${KITE_TAG_MAX} characters`).optional(),
  validity: z.literal('DAY', 'the simulator supports only DAY validity').optional(),
});

/** The account of a well-authenticated request, or null. */
function authAccount(ctx: SimContext, c: Context): string | null {
  const m = /^token ([^:\s]+):(\S+)$/.exec(c.req.header('Authorization') ?? '');
  const account = m?.[1];
  if (!account || !ctx.engine.has(account) || ctx.faults.active(account, 'auth_fail')) return null;
  return account;
}

/** The Kite REST routes. */
export function kiteRoutes(ctx: SimContext, history: KiteHistory): Hono {
  const { engine } = ctx;
  const app = new Hono<{ Variables: { account: string } }>();

  // '/orders/*' also matches '/orders' itself.
  app.use('/orders/*', async (c, next) => {
    const account = authAccount(ctx, c);
    if (account === null) return tokenError(c);
    // Not a token problem: without the version header the real API answers in an older format.
    if (c.req.header('X-Kite-Version') !== '3') {
      return kiteError(c, 400, 'InputException', 'The simulator speaks only `X-Kite-Version: 3`.');
    }
    c.set('account', account);
    await next();
  });

  app.get('/orders', async (c) => {
    const account = c.get('account');
    const data = engine.book(account).map((o) => toKiteOrder(account, o));
    await ctx.restDelay(account);
    return c.json({ status: 'success', data });
  });

  app.get('/orders/:order_id', async (c) => {
    const account = c.get('account');
    const data = history.of(account, c.req.param('order_id'));
    await ctx.restDelay(account);
    if (!data) return kiteError(c, 404, 'GeneralException', "Couldn't find that `order_id`.");
    return c.json({ status: 'success', data });
  });

  app.post('/orders/:variety', async (c) => {
    const account = c.get('account');
    if (c.req.param('variety') !== 'regular') {
      return kiteError(c, 400, 'InputException', 'The simulator places only `regular` orders.');
    }
    const form = PlaceFormSchema.safeParse(await c.req.parseBody());
    const req = form.success ? PlaceOrderSchema.safeParse(form.data) : form;
    if (!req.success) return kiteError(c, 400, 'InputException', firstIssue(req.error));
    const { order } = engine.place(account, req.data);
    await ctx.restDelay(account);
    return c.json({ status: 'success', data: { order_id: order.order_id } });
  });

  app.delete('/orders/:variety/:order_id', async (c) => {
    const account = c.get('account');
    const res = engine.cancel(account, c.req.param('order_id'));
    await ctx.restDelay(account);
    if (res.ok) return c.json({ status: 'success', data: { order_id: res.order.order_id } });
    if (res.code === 'not_found') {
      return kiteError(c, 404, 'GeneralException', "Couldn't find that `order_id`.");
    }
    const message = 'Order cannot be cancelled as it is being processed. Try later.';
    return kiteError(c, 400, 'InputException', message);
  });

  return new Hono().route('/', app);
}
