/**
 * Order entry for the `alpaca` dialect (https://docs.alpaca.markets/reference/postorder):
 * POST /v2/orders answers the order; a refusal is 403 or 422 with {"code","message"}; cancel is
 * DELETE /v2/orders/{id} (204, 422 when not cancelable); a leg is found again by
 * GET /v2/orders:by_client_order_id. Alpaca's mleg order class is not used for batches: legs are
 * placed as simple orders and rolled back by the gateway.
 */
import { z } from 'zod';
import { AlpacaOrderSchema, fromAlpacaOrder } from '../../orders/alpaca-vocabulary.js';
import { GatewayError } from '../../util/errors.js';
import type { RestResponse } from '../rest.js';
import { alpacaCancelRequest, alpacaPlaceRequest } from './alpaca.js';
import { alpacaHeaders } from './alpaca-rest.js';
import { readPlacement } from './placement.js';
import { sendRequest as send, trimSlash } from './shared.js';
import type { OrderApi } from './types.js';

const ErrSchema = z.object({ message: z.string().optional() });

function refusal(res: RestResponse, what: string): string {
  const e = ErrSchema.safeParse(res.body);
  const message = (e.success && e.data.message) || `HTTP ${res.status}`;
  if (res.status === 401) throw new GatewayError('unauthorized', `${what} refused: ${message}`);
  if (res.status >= 500)
    throw new GatewayError('upstream_error', `${what} answered ${res.status}: ${message}`);
  return message;
}

/** Alpaca order entry: place, cancel, and find a leg again by its client_order_id. */
export const alpacaOrders: OrderApi = {
  async place(rest, account, leg, clientId, timeoutMs) {
    const res = await send(rest, alpacaPlaceRequest(account, { ...leg, tag: clientId }), timeoutMs);
    const order = AlpacaOrderSchema.safeParse(res.body);
    if (order.success && res.status < 300) return readPlacement(res, order.data.id, '');
    return readPlacement(res, null, refusal(res, 'place'));
  },

  async cancel(rest, account, orderId, timeoutMs) {
    const res = await send(rest, alpacaCancelRequest(account, orderId), timeoutMs);
    if (res.status === 204 || res.status === 200) return { kind: 'requested' };
    const message = refusal(res, 'cancel');
    return res.status === 404 ? { kind: 'not_found', message } : { kind: 'not_cancellable', message };
  },

  async findByClientId(rest, account, clientId, ctx) {
    const url = `${trimSlash(account.restUrl)}/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(clientId)}`;
    const res = await rest.call('GET', url, { headers: alpacaHeaders(account) });
    if (res.status === 404) return null;
    const order = AlpacaOrderSchema.safeParse(res.body);
    if (res.status === 200 && order.success) return fromAlpacaOrder(order.data, ctx);
    refusal(res, 'lookup');
    throw new GatewayError('upstream_error', `lookup answered ${res.status}`);
  },
};
