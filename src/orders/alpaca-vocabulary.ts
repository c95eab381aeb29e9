/**
 * Alpaca orders and `trade_updates` events to the normalized model. Sources: the Trading API
 * order object and stream events, https://docs.alpaca.markets/docs/websocket-streaming and
 * the Trading API reference "Get All Orders" (order fields, statuses, decimal strings).
 *
 * Decisions: `exchange` and `product` are null (Alpaca has no venue field nor Kite's margin
 * product; `order_class` is not a product). `trailing_stop` is a stop-market whose stop moves: `stop`.
 * A multi-leg parent carries `symbol: ""`: its symbol becomes the legs' symbols joined by ",".
 */
import { z } from 'zod';
import { parseNumber, subtract } from './decimal.js';
import type { NormalizeContext } from './kite-vocabulary.js';
import { isTerminal, type Order, type OrderStatus } from './model.js';
import { toIsoUtc } from './time.js';

const num = z.unknown().transform((v) => parseNumber(v));
const str = z.unknown().transform((v) => (typeof v === 'string' && v !== '' ? v : null));

/** Re-serialized traces carry keys with stray spaces (`"expired_at "`): read them trimmed. */
function trimKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) if (!(k.trim() in out) || val != null) out[k.trim()] = val;
  return out;
}

const orderShape = {
  id: z.union([z.string().min(1), z.number()]).transform(String),
  client_order_id: str.optional(),
  symbol: z.string().optional(),
  side: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(['buy', 'sell'])),
  status: str.optional(),
  order_type: str.optional(),
  type: str.optional(),
  qty: num.optional(),
  filled_qty: num.optional(),
  filled_avg_price: num.optional(),
  limit_price: num.optional(),
  stop_price: num.optional(),
  replaced_by: str.optional(),
  updated_at: str.optional(),
  submitted_at: str.optional(),
  created_at: str.optional(),
};
const LegSchema = z.preprocess(trimKeys, z.object(orderShape));

/** An Alpaca order object: lenient on types (numbers or decimal strings), strict on identity. */
export const AlpacaOrderSchema = z.compile(
  z.preprocess(trimKeys, z.object({ ...orderShape, legs: z.array(LegSchema).nullish() })),
  { strict: true },
);
export type AlpacaOrder = z.infer<typeof AlpacaOrderSchema>;

/** A `trade_updates` event (also the broker API's trade event, which has the same core). */
// Every live frame goes through it: compiled, as KiteOrderSchema is (kite-vocabulary.ts).
export const AlpacaTradeUpdateSchema = z.compile(
  z.preprocess(
    trimKeys,
    z.object({ event: z.string().min(1), order: AlpacaOrderSchema, timestamp: str.optional() }),
  ),
  { strict: true },
);
export type AlpacaTradeUpdate = z.infer<typeof AlpacaTradeUpdateSchema>;

/** Status words (order `status` or stream `event`) with a fixed meaning. */
const fixedStatus: Record<string, OrderStatus> = {
  pending_new: 'pending',
  accepted: 'pending',
  accepted_for_bidding: 'pending',
  held: 'pending',
  new: 'open',
  partially_filled: 'partially_filled',
  partial_fill: 'partially_filled',
  filled: 'filled',
  fill: 'filled',
  canceled: 'cancelled',
  replaced: 'cancelled',
  expired: 'expired',
  rejected: 'rejected',
};

/**
 * Maps an Alpaca status word. done_for_day, pending_cancel, pending_replace, stopped, suspended,
 * calculated, order_replace_rejected, order_cancel_rejected and unknown words don't end or move
 * the order by themselves: they are read from the quantities.
 */
export function alpacaStatus(word: string, quantity: number, filled: number): OrderStatus {
  const fixed = fixedStatus[word.toLowerCase()];
  if (fixed) return fixed;
  if (filled > 0 && quantity > 0 && filled >= quantity) return 'filled';
  return filled > 0 ? 'partially_filled' : 'open';
}

const orderTypes: Record<string, Order['order_type']> = {
  market: 'market',
  limit: 'limit',
  stop: 'stop',
  stop_limit: 'stop_limit',
  trailing_stop: 'stop',
};

type Leg = NonNullable<AlpacaOrder['legs']>[number];

/** What the event adds to its order: the event word and time, both fallbacks. */
export interface AlpacaEventContext {
  event?: string;
  timestamp?: string | null;
}

/** Normalizes one Alpaca order; the order's own `status` wins over the event word. */
export function fromAlpacaOrder(
  o: AlpacaOrder | Leg,
  ctx: NormalizeContext,
  ev: AlpacaEventContext = {},
): Order {
  const quantity = o.qty ?? 0;
  const filled = o.filled_qty ?? 0;
  const word = o.status ?? ev.event ?? 'unknown';
  const status = alpacaStatus(word, quantity, filled);
  const legs = 'legs' in o ? (o.legs ?? []) : [];
  const type = o.order_type ?? o.type;
  return {
    account_id: ctx.accountId,
    order_id: o.id,
    client_order_id: o.client_order_id ?? null,
    symbol: o.symbol || legs.map((l) => l.symbol ?? '').join(','),
    exchange: null,
    side: o.side,
    order_type: type ? (orderTypes[type.toLowerCase()] ?? null) : null,
    product: null,
    quantity,
    filled_quantity: filled,
    pending_quantity: isTerminal(status) ? 0 : Math.max(0, subtract(quantity, filled)),
    price: o.limit_price ?? null,
    trigger_price: o.stop_price ?? null,
    average_price: o.filled_avg_price ?? null,
    status,
    broker_status: word,
    status_message: null,
    replaced_by: o.replaced_by ?? null,
    updated_at: toIsoUtc(o.updated_at, 'UTC') ?? toIsoUtc(ev.timestamp, 'UTC') ?? ctx.receivedAt,
  };
}

/** An order and its legs (multi-leg, bracket, OCO), each as its own normalized order. */
export function flattenAlpacaOrder(
  o: AlpacaOrder,
  ctx: NormalizeContext,
  ev: AlpacaEventContext = {},
): Order[] {
  return [fromAlpacaOrder(o, ctx, ev), ...(o.legs ?? []).map((l) => fromAlpacaOrder(l, ctx, ev))];
}

/** Normalizes a `trade_updates` event: the order first, then its legs. */
export function fromAlpacaTradeUpdate(u: AlpacaTradeUpdate, ctx: NormalizeContext): Order[] {
  return flattenAlpacaOrder(u.order, ctx, { event: u.event, timestamp: u.timestamp });
}
