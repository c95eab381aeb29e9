/**
 * Order entry for the `kite` dialect (https://kite.trade/docs/connect/v3/orders/): place is a
 * form POST to /orders/{variety}, cancel a DELETE; both answer {"status","data"|"message",
 * "error_type"}. Kite has no batch and no lookup by tag, so a leg is found again in GET /orders
 * by its tag. A cancel is accepted, then confirmed by the order's CANCELLED update.
 */
import { z } from 'zod';
import { fromKiteOrder, KiteOrderSchema } from '../../orders/kite-vocabulary.js';
import { GatewayError } from '../../util/errors.js';
import type { RestResponse } from '../rest.js';
import { kiteCancelRequest, kiteHeaders, kitePlaceRequest } from './kite.js';
import { readPlacement } from './placement.js';
import { sendRequest as send, trimSlash } from './shared.js';
import type { OrderApi } from './types.js';

const OkSchema = z.object({
  status: z.literal('success'),
  data: z.object({ order_id: z.union([z.string(), z.number()]) }),
});
const ErrSchema = z.object({ message: z.string().optional(), error_type: z.string().optional() });
const BookSchema = z.object({ status: z.literal('success'), data: z.array(z.unknown()) });

/** Kite's error answer, read: auth problems and server failures throw; the rest is a refusal. */
function refusal(res: RestResponse, what: string): string {
  const e = ErrSchema.safeParse(res.body);
  const message = (e.success && e.data.message) || `HTTP ${res.status}`;
  const type = e.success ? e.data.error_type : undefined;
  if (res.status === 401 || res.status === 403 || type === 'TokenException') {
    throw new GatewayError('unauthorized', `${what} refused: ${type ?? res.status}`);
  }
  if (res.status >= 500)
    throw new GatewayError('upstream_error', `${what} answered ${res.status}: ${message}`);
  return message;
}

/** Kite order entry: place, cancel, and find a leg again by its tag. */
export const kiteOrders: OrderApi = {
  // A 200 carries an order_id even for orders the RMS then rejects (placement docs, postbacks).
  rejectsLater: true,

  async place(rest, account, leg, clientId, timeoutMs) {
    const res = await send(rest, kitePlaceRequest(account, { ...leg, tag: clientId }), timeoutMs);
    const ok = OkSchema.safeParse(res.body);
    if (ok.success && res.status < 300) return readPlacement(res, String(ok.data.data.order_id), '');
    return readPlacement(res, null, refusal(res, 'place'));
  },

  async cancel(rest, account, orderId, timeoutMs) {
    const res = await send(rest, kiteCancelRequest(account, orderId), timeoutMs);
    if (res.status === 200) return { kind: 'requested' };
    const message = refusal(res, 'cancel');
    return res.status === 404 ? { kind: 'not_found', message } : { kind: 'not_cancellable', message };
  },

  async findByClientId(rest, account, clientId, ctx) {
    const res = await rest.call('GET', `${trimSlash(account.restUrl)}/orders`, {
      headers: kiteHeaders(account),
    });
    const book = BookSchema.safeParse(res.body);
    if (res.status !== 200 || !book.success) {
      refusal(res, 'lookup');
      throw new GatewayError('upstream_error', `lookup answered ${res.status}`);
    }
    let found = null;
    for (const raw of book.data.data) {
      const o = KiteOrderSchema.safeParse(raw);
      if (o.success && o.data.tag === clientId) found = fromKiteOrder(o.data, ctx);
    }
    return found;
  },
};
