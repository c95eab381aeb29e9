/**
 * A new order as the broker acknowledges it: Kite-style ids (a yymmdd prefix and a sequence),
 * the status right after placement, and zeros where Kite sends zeros (price of a MARKET order).
 */
import { iso, type LiveOrder, type PlaceOrder } from './order.js';

export interface NewOrder {
  account: string;
  /** Session-wide sequence number, which makes the ids unique and replayable. */
  seq: number;
  req: PlaceOrder;
  now: number;
  refPaise: number;
  background: boolean;
  /** The rejection reason, or null when the order is accepted. */
  reject: string | null;
}

/** yymmdd of the UTC day, as Kite order ids start. */
function dayPrefix(ms: number): string {
  return new Date(ms).toISOString().slice(2, 10).replaceAll('-', '');
}

/** Builds the order record; rejected orders never reached the exchange, so carry no exchange ids. */
export function createOrder(n: NewOrder): LiveOrder {
  const { req, now, reject } = n;
  const stop = req.order_type === 'SL' || req.order_type === 'SL-M';
  const at = iso(now);
  return {
    account: n.account,
    lastMs: now,
    refPaise: n.refPaise,
    filledValue: 0,
    background: n.background,
    modified: false,
    steps: 0,
    order: {
      order_id: `${dayPrefix(now)}${String(n.seq).padStart(9, '0')}`,
      exchange_order_id: reject ? null : `1100000${String(n.seq).padStart(9, '0')}`,
      tradingsymbol: req.tradingsymbol,
      exchange: req.exchange,
      transaction_type: req.transaction_type,
      order_type: req.order_type,
      product: req.product,
      variety: 'regular',
      validity: 'DAY',
      quantity: req.quantity,
      filled_quantity: 0,
      pending_quantity: reject ? 0 : req.quantity,
      cancelled_quantity: 0,
      price: req.order_type === 'MARKET' || req.order_type === 'SL-M' ? 0 : (req.price ?? 0),
      trigger_price: stop ? (req.trigger_price ?? 0) : 0,
      average_price: 0,
      status: reject ? 'REJECTED' : stop ? 'TRIGGER PENDING' : 'OPEN',
      status_message: reject,
      tag: req.tag ?? null,
      order_timestamp: at,
      exchange_timestamp: reject ? null : at,
      exchange_update_timestamp: at,
    },
  };
}

/** The session-wide sequence number inside an order id made by createOrder. */
export const orderSeq = (orderId: string): number => Number(orderId.slice(6)) || 0;
