/**
 * The body of Alpaca's POST /v2/orders (https://docs.alpaca.markets/reference/postorder) and its
 * translation into an engine placement. Decimals come as strings or numbers. What the sim doesn't
 * model is refused with Alpaca's 422 shape rather than silently changed: fractional or notional
 * orders, trailing stops, time in force other than `day`, and order classes other than simple.
 * Prices follow Alpaca's sub-penny rule: at most 2 decimals at $1 and above, 4 below.
 */
import { z } from 'zod';
import { exchangeOf } from './catalog.js';
import type { PlaceOrder } from './order.js';

const decimal = z
  .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal number')])
  .transform(Number)
  .pipe(z.number().positive().finite());

/** Alpaca's minimum pricing increment (the 422 "sub-penny increment" rule). */
function subPenny(price: number): boolean {
  const places = price >= 1 ? 2 : 4;
  return Math.round(price * 10 ** places) / 10 ** places !== price;
}

export const AlpacaPlaceSchema = z
  .object({
    symbol: z.string().min(1).max(64),
    qty: decimal.pipe(z.number().int('fractional qty is not simulated')),
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit', 'stop', 'stop_limit']),
    time_in_force: z.literal('day', 'the simulator supports only time_in_force day'),
    limit_price: decimal.nullish(),
    stop_price: decimal.nullish(),
    client_order_id: z.string().min(1).max(128).optional(),
    extended_hours: z.literal(false).optional(),
    order_class: z.enum(['', 'simple']).optional(),
    notional: z.null('notional orders are not simulated').optional(),
  })
  .superRefine((o, ctx) => {
    const needs = (field: 'limit_price' | 'stop_price', types: readonly string[]) => {
      if (types.includes(o.type) && o[field] == null) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required for ${o.type} orders` });
      }
    };
    needs('limit_price', ['limit', 'stop_limit']);
    needs('stop_price', ['stop', 'stop_limit']);
    for (const field of ['limit_price', 'stop_price'] as const) {
      const p = o[field];
      if (p != null && subPenny(p)) {
        const message = `invalid ${field} ${p}. sub-penny increment does not fulfill minimum pricing criteria`;
        ctx.addIssue({ code: 'custom', path: [field], message });
      }
    }
  });
export type AlpacaPlace = z.infer<typeof AlpacaPlaceSchema>;

const orderTypes = { market: 'MARKET', limit: 'LIMIT', stop: 'SL-M', stop_limit: 'SL' } as const;

/** The engine placement of an Alpaca order: a US cash (CNC) order on the symbol's venue. */
export function toPlaceOrder(a: AlpacaPlace): PlaceOrder {
  const order: PlaceOrder = {
    tradingsymbol: a.symbol,
    exchange: exchangeOf(a.symbol) ?? 'US',
    transaction_type: a.side === 'buy' ? 'BUY' : 'SELL',
    quantity: a.qty,
    order_type: orderTypes[a.type],
    product: 'CNC',
  };
  if (a.type === 'limit' || a.type === 'stop_limit') order.price = a.limit_price ?? undefined;
  if (a.type === 'stop' || a.type === 'stop_limit') order.trigger_price = a.stop_price ?? undefined;
  if (a.client_order_id !== undefined) order.tag = a.client_order_id;
  return order;
}
