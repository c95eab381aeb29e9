/**
 * The `ticker-service` dialect (DESIGN.md "Upstream"), the default and what the bundled
 * simulator speaks: JSON text frames `{"type":"order_update","account_id","data","timestamp"}`,
 * a text `ping`/`pong` heartbeat, and a REST snapshot at /advanced/orders/{account}.
 */
import { z } from 'zod';
import { fromKiteOrder, KiteOrderSchema } from '../../orders/kite-vocabulary.js';
import { GatewayError } from '../../util/errors.js';
import { firstIssue, parseJson, trimSlash } from './shared.js';
import { tickerServiceHeaders, tickerServiceOrders } from './ticker-service-orders.js';
import type { Dialect, UpstreamEvent } from './types.js';

// Every live frame goes through it: compiled, as KiteOrderSchema is (kite-vocabulary.ts).
const FrameSchema = z.compile(
  z.object({
    type: z.literal('order_update'),
    account_id: z.string(),
    data: KiteOrderSchema,
    timestamp: z.string().optional(),
  }),
  { strict: true },
);

const SnapshotSchema = z.object({ orders: z.array(z.unknown()) });

export const tickerService: Dialect = {
  name: 'ticker-service',
  defaultTimeZone: 'UTC',
  ping: { kind: 'text', text: 'ping' },
  orders: tickerServiceOrders,

  connectRequest(account) {
    const base = trimSlash(account.wsUrl);
    return {
      url: `${base}/advanced/ws/orders/${encodeURIComponent(account.id)}`,
      headers: tickerServiceHeaders(account),
    };
  },

  onOpen: () => true,

  parse(data, isBinary, ctx): UpstreamEvent[] {
    const text = typeof data === 'string' ? data : data.toString('utf8');
    if (text === 'pong') return [{ kind: 'heartbeat' }];
    if (isBinary) return [{ kind: 'invalid', reason: 'binary frame' }];
    const parsed = parseJson(text);
    if (!parsed.ok) return [{ kind: 'invalid', reason: parsed.reason }];
    const json = parsed.value;
    const frame = FrameSchema.safeParse(json);
    if (!frame.success) return [{ kind: 'invalid', reason: firstIssue(frame.error, 'frame') }];
    if (frame.data.account_id !== ctx.accountId) {
      return [{ kind: 'invalid', reason: `frame for another account: ${frame.data.account_id}` }];
    }
    return [{ kind: 'update', order: fromKiteOrder(frame.data.data, ctx) }];
  },

  async fetchSnapshot(rest, account, ctx) {
    const base = trimSlash(account.restUrl);
    const url = `${base}/advanced/orders/${encodeURIComponent(account.id)}`;
    const res = await rest.call('GET', url, { headers: tickerServiceHeaders(account) });
    if (res.status === 401 || res.status === 403) {
      throw new GatewayError('unauthorized', `snapshot refused with ${res.status}`);
    }
    if (res.status !== 200) throw new GatewayError('upstream_error', `snapshot answered ${res.status}`);
    const body = SnapshotSchema.safeParse(res.body);
    if (!body.success) throw new GatewayError('upstream_error', 'snapshot body is not {"orders":[...]}');
    const orders = [];
    for (const raw of body.data.orders) {
      const o = KiteOrderSchema.safeParse(raw);
      if (o.success) orders.push(fromKiteOrder(o.data, ctx));
      else ctx.onInvalid?.(`snapshot order: ${firstIssue(o.error, 'order')}`);
    }
    return orders;
  },
};
