/**
 * The engine's order in Zerodha Kite Connect v3's own shapes: the order book entry of GET /orders
 * (https://kite.trade/docs/connect/v3/orders/#retrieving-orders; fixture zerodha_kite_rest_orders_mock)
 * and the postback payload that order updates on the WebSocket carry
 * (https://kite.trade/docs/connect/v3/postbacks/; fixture zerodha_kite_postback_complete).
 *
 * Kite quirks kept on purpose: timestamps are "YYYY-MM-DD HH:MM:SS" exchange local time
 * (Asia/Kolkata, no zone, 1 s resolution, so two changes in one second carry equal stamps); a
 * CANCELLED order keeps its pending_quantity (equal to cancelled_quantity); a rejected order never
 * reached the exchange, so it has no exchange timestamps; a user's cancel carries no
 * status_message; a partial fill (or modification) is "UPDATE" on the stream, "OPEN" in the book.
 */
import type { OrderChange } from './engine.js';
import type { SimOrder } from './order.js';

/** IST is UTC+05:30 all year (India has no daylight saving time). */
const IST_OFFSET_MS = 330 * 60_000;

/** An ISO UTC time as Kite writes it: IST wall clock, whole seconds, no zone. */
export function kiteTime(iso: string | null): string | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  return new Date(ms + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** Real NSE instrument tokens of the catalog's cash symbols; others get a stable made-up one. */
const tokens: Record<string, number> = {
  SBIN: 779521,
  RELIANCE: 738561,
  INFY: 408065,
  TCS: 2953217,
  HDFCBANK: 341249,
  ITC: 424961,
};

/** The instrument_token of a symbol. */
export function instrumentToken(symbol: string): number {
  const known = tokens[symbol];
  if (known !== undefined) return known;
  let h = 7;
  for (const c of symbol) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 10_000_000 + (h % 9_000_000);
}

/** The fields the book entry and the postback share. */
function common(account: string, o: SimOrder) {
  const rejected = o.status === 'REJECTED';
  const message = o.status === 'CANCELLED' ? null : o.status_message;
  return {
    placed_by: account,
    order_id: o.order_id,
    exchange_order_id: o.exchange_order_id,
    parent_order_id: null,
    status: o.status as string,
    status_message: message,
    status_message_raw: message,
    order_timestamp: kiteTime(o.order_timestamp),
    exchange_update_timestamp: rejected ? null : kiteTime(o.exchange_update_timestamp),
    exchange_timestamp: kiteTime(o.exchange_timestamp),
    variety: o.variety,
    exchange: o.exchange,
    tradingsymbol: o.tradingsymbol,
    instrument_token: instrumentToken(o.tradingsymbol),
    order_type: o.order_type,
    transaction_type: o.transaction_type,
    validity: o.validity,
    product: o.product,
    quantity: o.quantity,
    disclosed_quantity: 0,
    price: o.price,
    trigger_price: o.trigger_price,
    average_price: o.average_price,
    filled_quantity: o.filled_quantity,
    pending_quantity: o.status === 'CANCELLED' ? o.cancelled_quantity : o.pending_quantity,
    cancelled_quantity: o.cancelled_quantity,
    market_protection: 0,
    meta: {},
    tag: o.tag,
    guid: `${o.order_id.slice(-6)}Xsim`,
  };
}

/** A GET /orders entry. */
export function toKiteOrder(account: string, o: SimOrder): Record<string, unknown> {
  return {
    ...common(account, o),
    modified: false,
    validity_ttl: 0,
    ...(o.tag ? { tags: [o.tag] } : {}),
  };
}

/** The status word on the stream: partial fills and modifications of an open order say UPDATE. */
export function kiteStreamStatus(o: SimOrder, change: OrderChange): string {
  const update = change.kind === 'fill' || change.kind === 'modify';
  return update && o.status === 'OPEN' ? 'UPDATE' : o.status;
}

/** The postback payload of one change, as the WebSocket carries it (checksum blank, forum 6808). */
export function toKitePostback(account: string, o: SimOrder, change: OrderChange): Record<string, unknown> {
  return {
    user_id: account,
    unfilled_quantity: o.quantity - o.filled_quantity,
    app_id: 9001,
    checksum: '',
    ...common(account, o),
    status: kiteStreamStatus(o, change),
  };
}
