/**
 * The engine's order as Alpaca's Trading API order object and `trade_updates` event
 * (https://docs.alpaca.markets/docs/websocket-streaming, https://docs.alpaca.markets/reference/getallorders;
 * shapes from fixtures alpaca_trade_updates_fill_crypto and alpaca_trade_updates_mleg_fill):
 * decimals as strings, uuid ids, RFC 3339 times with nanoseconds.
 *
 * Decisions: ids are uuids derived from the account and the engine's order id (stable across
 * runs of a seed). Times are the engine's milliseconds plus six digits from the order's sequence
 * number, so orders placed in one millisecond still sort in placement order, as Alpaca's
 * nanosecond stamps do. A stop order's trigger has no Alpaca event (Alpaca sends none), and the
 * engine's modifications are turned off for this dialect (Alpaca replaces, with a new id).
 */
import { createHash } from 'node:crypto';
import type { OrderChange } from './engine.js';
import type { SimOrder } from './order.js';
import { orderSeq } from './place.js';

/** A uuid (v5 layout) from a name: the same name always gives the same id. */
export function uuidFrom(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  const variant = ((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** The Alpaca id of an engine order. */
export const alpacaId = (account: string, orderId: string) => uuidFrom(`order/${account}/${orderId}`);

/** The client_order_id: the tag it was placed with, else one Alpaca would generate. */
export const clientOrderId = (account: string, o: SimOrder) =>
  o.tag ?? uuidFrom(`client/${account}/${o.order_id}`);

/** An engine time (ISO, ms) of an order as Alpaca writes it, with nanoseconds. */
export function alpacaTime(iso: string, orderId: string): string {
  const sub = String(orderSeq(orderId) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 23)}${sub}Z`;
}

const types = { MARKET: 'market', LIMIT: 'limit', SL: 'stop_limit', 'SL-M': 'stop' } as const;

/** The Alpaca status word of an engine order. */
export function alpacaStatus(o: SimOrder): string {
  if (o.status === 'COMPLETE') return 'filled';
  if (o.status === 'CANCELLED') return 'canceled';
  if (o.status === 'REJECTED') return 'rejected';
  return o.filled_quantity > 0 ? 'partially_filled' : 'new';
}

const dec = (n: number): string => String(n);

/** The Alpaca order object. */
export function toAlpacaOrder(account: string, o: SimOrder) {
  const at = (iso: string) => alpacaTime(iso, o.order_id);
  const updated = at(o.exchange_update_timestamp);
  const type = types[o.order_type];
  const limit = o.order_type === 'LIMIT' || o.order_type === 'SL';
  const stop = o.order_type === 'SL' || o.order_type === 'SL-M';
  return {
    id: alpacaId(account, o.order_id),
    client_order_id: clientOrderId(account, o),
    created_at: at(o.order_timestamp),
    updated_at: updated,
    submitted_at: at(o.order_timestamp),
    filled_at: o.status === 'COMPLETE' ? updated : null,
    expired_at: null,
    cancel_requested_at: null,
    canceled_at: o.status === 'CANCELLED' ? updated : null,
    failed_at: o.status === 'REJECTED' ? updated : null,
    replaced_at: null,
    replaced_by: null,
    replaces: null,
    asset_id: uuidFrom(`asset/${o.tradingsymbol}`),
    symbol: o.tradingsymbol,
    asset_class: 'us_equity',
    notional: null,
    qty: dec(o.quantity),
    filled_qty: dec(o.filled_quantity),
    filled_avg_price: o.filled_quantity > 0 ? dec(o.average_price) : null,
    order_class: 'simple',
    order_type: type,
    type,
    side: o.transaction_type === 'BUY' ? 'buy' : 'sell',
    time_in_force: 'day',
    limit_price: limit ? dec(o.price) : null,
    stop_price: stop ? dec(o.trigger_price) : null,
    status: alpacaStatus(o),
    extended_hours: false,
    legs: null,
    trail_percent: null,
    trail_price: null,
    hwm: null,
  };
}

/** The `trade_updates` event word of a change, or null when Alpaca sends nothing for it. */
export function alpacaEvent(o: SimOrder, change: OrderChange): string | null {
  switch (change.kind) {
    case 'placed':
      return 'new';
    case 'rejected':
      return 'rejected';
    case 'fill':
      return o.pending_quantity > 0 ? 'partial_fill' : 'fill';
    case 'cancel':
      return 'canceled';
    default:
      return null;
  }
}

/**
 * The `data` of a `trade_updates` message: event, time and order; a fill adds this execution's
 * `qty` and `price`, its id, and the account's resulting position in the symbol (`position_qty`).
 */
export function tradeUpdate(
  account: string,
  o: SimOrder,
  change: OrderChange,
  positionQty: () => number,
): Record<string, unknown> | null {
  const event = alpacaEvent(o, change);
  if (event === null) return null;
  const timestamp = alpacaTime(o.exchange_update_timestamp, o.order_id);
  const order = toAlpacaOrder(account, o);
  if (change.kind !== 'fill') return { event, timestamp, order };
  return {
    event,
    execution_id: uuidFrom(`fill/${account}/${o.order_id}/${o.filled_quantity}`),
    order,
    position_qty: dec(positionQty()),
    price: dec(change.price),
    qty: dec(change.qty),
    timestamp,
  };
}
