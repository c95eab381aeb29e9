/**
 * Order entry for the `ticker-service` dialect (DESIGN.md "Upstream"): place at
 * POST /advanced/orders/{account}, cancel at DELETE …/{order_id}, lookup by tag, and the
 * broker-native atomic batch at POST /advanced/batch-orders.
 */
import { z } from 'zod';
import { fromKiteOrder, KiteOrderSchema } from '../../orders/kite-vocabulary.js';
import { GatewayError } from '../../util/errors.js';
import type { RestResponse } from '../rest.js';
import { readPlacement } from './placement.js';
import { trimSlash } from './shared.js';
import type { DialectAccount, OrderApi } from './types.js';

const PlacedSchema = z.object({ order_id: z.union([z.string(), z.number()]).transform(String) });
const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const BookSchema = z.object({ orders: z.array(z.unknown()) });
const BatchSchema = z.object({
  legs: z.array(
    z.object({
      index: z.number().int(),
      status: z.enum(['placed', 'rejected', 'cancelled', 'filled']),
      order_id: z.string().nullable(),
      error: z.string().nullable(),
    }),
  ),
});

const base = (a: DialectAccount) => trimSlash(a.restUrl);
const ordersUrl = (a: DialectAccount) => `${base(a)}/advanced/orders/${encodeURIComponent(a.id)}`;

/** ticker-service auth: `token` as a bearer token, `api_key` as X-API-Key, either optional. */
export function tickerServiceHeaders(a: DialectAccount, json = false): Record<string, string> {
  const h: Record<string, string> = json ? { 'content-type': 'application/json' } : {};
  if (a.credentials.token) h.authorization = `Bearer ${a.credentials.token}`;
  if (a.credentials.api_key) h['x-api-key'] = a.credentials.api_key;
  return h;
}

const errorMessage = (res: RestResponse) => {
  const e = ErrorSchema.safeParse(res.body);
  return e.success ? e.data.error.message : `HTTP ${res.status}`;
};

/** Turns auth and server failures into GatewayErrors; returns for the statuses the caller reads. */
function check(res: RestResponse, what: string): void {
  if (res.status === 401 || res.status === 403)
    throw new GatewayError('unauthorized', `${what} refused with ${res.status}`);
  if (res.status >= 500)
    throw new GatewayError('upstream_error', `${what} answered ${res.status}: ${errorMessage(res)}`);
}

/** ticker-service order entry, with the broker-native atomic batch. */
export const tickerServiceOrders: OrderApi = {
  async place(rest, account, leg, clientId, timeoutMs) {
    const body = JSON.stringify({ ...leg, tag: clientId });
    const res = await rest.call('POST', ordersUrl(account), {
      headers: tickerServiceHeaders(account, true),
      body,
      timeoutMs,
    });
    check(res, 'place');
    const placed = PlacedSchema.safeParse(res.body);
    return readPlacement(res, placed.success ? placed.data.order_id : null, errorMessage(res));
  },

  async cancel(rest, account, orderId, timeoutMs) {
    const url = `${ordersUrl(account)}/${encodeURIComponent(orderId)}`;
    const res = await rest.call('DELETE', url, { headers: tickerServiceHeaders(account), timeoutMs });
    check(res, 'cancel');
    if (res.status === 200) return { kind: 'cancelled' };
    if (res.status === 404) return { kind: 'not_found', message: errorMessage(res) };
    return { kind: 'not_cancellable', message: errorMessage(res) };
  },

  async findByClientId(rest, account, clientId, ctx) {
    const res = await rest.call('GET', `${ordersUrl(account)}?tag=${encodeURIComponent(clientId)}`, {
      headers: tickerServiceHeaders(account),
    });
    check(res, 'lookup');
    const book = BookSchema.safeParse(res.body);
    if (res.status !== 200 || !book.success)
      throw new GatewayError('upstream_error', `lookup answered ${res.status}`);
    for (const raw of book.data.orders) {
      const o = KiteOrderSchema.safeParse(raw);
      if (o.success && o.data.tag === clientId) return fromKiteOrder(o.data, ctx);
    }
    return null;
  },

  async batch(rest, account, legs, rollbackOnFailure, timeoutMs) {
    const body = JSON.stringify({
      account_id: account.id,
      orders: legs.map(({ leg, clientId }) => ({ ...leg, tag: clientId })),
      rollback_on_failure: rollbackOnFailure,
    });
    const res = await rest.call('POST', `${base(account)}/advanced/batch-orders`, {
      headers: tickerServiceHeaders(account, true),
      body,
      timeoutMs,
    });
    check(res, 'batch');
    const parsed = BatchSchema.safeParse(res.body);
    if (res.status !== 200 || !parsed.success) {
      throw new GatewayError('upstream_error', `batch answered ${res.status}: ${errorMessage(res)}`);
    }
    return parsed.data.legs;
  },
};
