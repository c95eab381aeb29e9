/**
 * Orders in Kite Connect's vocabulary (tradingsymbol, transaction_type, OMS status words) to the
 * normalized model. Both the `ticker-service` dialect and Zerodha Kite speak it
 * (DESIGN.md "Upstream"; statuses from https://kite.trade/docs/connect/v3/orders/).
 */
import { z } from 'zod';
import { parseNumber, subtract } from './decimal.js';
import { isTerminal, type Order, type OrderStatus } from './model.js';
import { toIsoUtc } from './time.js';

const num = z.unknown().transform((v) => parseNumber(v));
const str = z.unknown().transform((v) => (typeof v === 'string' && v !== '' ? v : null));
const id = z.union([z.string().min(1), z.number()]).transform(String);

/**
 * A Kite-vocabulary order as brokers send it: lenient on optional fields, strict on identity.
 * Compiled with z.compile because it runs on every live frame: zod's generated parser gives the
 * same answers, and an invalid input is re-parsed by the runtime parser for the same errors. Run
 * per frame, the runtime parser's allocations were surviving scavenges in the gateway
 * (BENCHMARKS.md). `strict` refuses, at load, a schema whose top level can't be compiled; a
 * nested part that can't be would still run on the runtime parser.
 */
export const KiteOrderSchema = z.compile(
  z.object({
    order_id: id,
    tradingsymbol: z.string().min(1),
    transaction_type: z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(['BUY', 'SELL'])),
    status: z.string().min(1),
    exchange: str.optional(),
    order_type: str.optional(),
    product: str.optional(),
    quantity: num.optional(),
    filled_quantity: num.optional(),
    pending_quantity: num.optional(),
    price: num.optional(),
    trigger_price: num.optional(),
    average_price: num.optional(),
    status_message: str.optional(),
    tag: str.optional(),
    order_timestamp: str.optional(),
    exchange_timestamp: str.optional(),
    exchange_update_timestamp: str.optional(),
  }),
  { strict: true },
);
export type KiteOrder = z.infer<typeof KiteOrderSchema>;

/** Where a normalized order comes from: the account and how to read its timestamps. */
export interface NormalizeContext {
  accountId: string;
  /** IANA zone for timestamps that carry none. */
  timeZone: string;
  /** ISO time the gateway received the frame: updated_at when the broker gave none. */
  receivedAt: string;
  /**
   * Told of a snapshot entry that can't be read. The entry is skipped, as a bad live frame is:
   * one unreadable order must not keep the whole account from resyncing.
   */
  onInvalid?: (reason: string) => void;
  /**
   * Order ids the gateway holds as not yet terminal, for a resync: a dialect whose order list
   * can't show every order that changed (Alpaca lists by submission time) reads these by id.
   */
  knownOpen?: readonly string[];
  /** Told of something a resync could not do that is worth an operator's attention (logged). */
  onWarn?: (message: string) => void;
}

/** One leg of a batch order (DESIGN.md "Batch orders"): Kite's vocabulary, whatever the broker. */
export interface KiteLeg {
  tradingsymbol: string;
  exchange: string;
  transaction_type: 'BUY' | 'SELL';
  quantity: number;
  order_type: 'MARKET' | 'LIMIT' | 'SL' | 'SL-M';
  product: 'NRML' | 'MIS' | 'CNC';
  /** For LIMIT and SL. */
  price?: number;
  /** For SL and SL-M. */
  trigger_price?: number;
  tag?: string;
}

// The OMS words as the API sends them; the orders docs spell the first "PUT ORDER REQUEST RECEIVED".
const fixedStatus: Record<string, OrderStatus> = {
  'PUT ORDER REQ RECEIVED': 'pending',
  'PUT ORDER REQUEST RECEIVED': 'pending',
  'VALIDATION PENDING': 'pending',
  'OPEN PENDING': 'pending',
  'AMO REQ RECEIVED': 'pending',
  'TRIGGER PENDING': 'open',
  COMPLETE: 'filled',
  CANCELLED: 'cancelled',
  'CANCELLED AMO': 'cancelled',
  REJECTED: 'rejected',
  LAPSED: 'expired',
};

/**
 * Maps a Kite status word. OPEN, UPDATE (not a state: a modification or a partial fill, per the
 * postbacks docs), MODIFY VALIDATION PENDING, MODIFY PENDING, MODIFIED, CANCEL PENDING and anything
 * unknown are read from the quantities instead. A CANCELLED order keeps its fills (see fromKiteOrder).
 */
export function kiteStatus(word: string, quantity: number, filled: number): OrderStatus {
  const fixed = fixedStatus[word.toUpperCase()];
  if (fixed) return fixed;
  if (filled > 0 && quantity > 0 && filled >= quantity) return 'filled';
  return filled > 0 ? 'partially_filled' : 'open';
}

const orderTypes: Record<string, Order['order_type']> = {
  MARKET: 'market',
  LIMIT: 'limit',
  SL: 'stop_limit',
  'SL-M': 'stop',
};

/** A zero price on a MARKET order means "none" in Kite's vocabulary. */
function priceOrNull(n: number | null | undefined): number | null {
  return n === null || n === undefined || n === 0 ? null : n;
}

/** Normalizes a parsed Kite-vocabulary order. */
export function fromKiteOrder(o: KiteOrder, ctx: NormalizeContext): Order {
  const quantity = o.quantity ?? 0;
  const filled = o.filled_quantity ?? 0;
  const status = kiteStatus(o.status, quantity, filled);
  const pending = isTerminal(status) ? 0 : (o.pending_quantity ?? Math.max(0, subtract(quantity, filled)));
  const stamp = o.exchange_update_timestamp ?? o.exchange_timestamp ?? o.order_timestamp;
  return {
    account_id: ctx.accountId,
    order_id: o.order_id,
    client_order_id: o.tag ?? null,
    symbol: o.tradingsymbol,
    exchange: o.exchange ?? null,
    side: o.transaction_type === 'BUY' ? 'buy' : 'sell',
    order_type: o.order_type ? (orderTypes[o.order_type.toUpperCase()] ?? null) : null,
    product: o.product ?? null,
    quantity,
    filled_quantity: filled,
    pending_quantity: pending,
    price: priceOrNull(o.price),
    trigger_price: priceOrNull(o.trigger_price),
    average_price: priceOrNull(o.average_price),
    status,
    broker_status: o.status,
    status_message: o.status_message ?? null,
    replaced_by: null,
    updated_at: toIsoUtc(stamp, ctx.timeZone) ?? ctx.receivedAt,
  };
}
