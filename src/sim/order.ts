/**
 * The simulator's order in Kite Connect vocabulary (https://kite.trade/docs/connect/v3/orders/)
 * and the steps that change it. Every step stamps `exchange_update_timestamp`, which is strictly
 * increasing per order, so a consumer can always tell the newer of two updates.
 */
import { z } from 'zod';

export const OrderTypes = ['MARKET', 'LIMIT', 'SL', 'SL-M'] as const;
export const Products = ['NRML', 'MIS', 'CNC'] as const;

/** A placement request (one order, or one batch leg), validated at the REST edge. */
export const PlaceOrderSchema = z
  .object({
    tradingsymbol: z.string().min(1).max(64),
    exchange: z.string().min(1).max(16),
    transaction_type: z.enum(['BUY', 'SELL']),
    quantity: z.number().int().positive(),
    order_type: z.enum(OrderTypes),
    product: z.enum(Products),
    price: z.number().positive().nullish(),
    trigger_price: z.number().positive().nullish(),
    // Kite caps tags at 20 characters; the sim allows more so gateway-derived client ids fit.
    tag: z.string().min(1).max(64).nullish(),
  })
  .superRefine((o, ctx) => {
    if ((o.order_type === 'LIMIT' || o.order_type === 'SL') && o.price == null) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: `price is required for ${o.order_type}` });
    }
    if ((o.order_type === 'SL' || o.order_type === 'SL-M') && o.trigger_price == null) {
      ctx.addIssue({
        code: 'custom',
        path: ['trigger_price'],
        message: `trigger_price is required for ${o.order_type}`,
      });
    }
  });
export type PlaceOrder = z.infer<typeof PlaceOrderSchema>;

export type SimStatus = 'OPEN' | 'TRIGGER PENDING' | 'COMPLETE' | 'CANCELLED' | 'REJECTED';

/** One order exactly as the book and the stream carry it. */
export interface SimOrder {
  order_id: string;
  exchange_order_id: string | null;
  tradingsymbol: string;
  exchange: string;
  transaction_type: 'BUY' | 'SELL';
  order_type: (typeof OrderTypes)[number];
  product: (typeof Products)[number];
  variety: 'regular';
  validity: 'DAY';
  quantity: number;
  filled_quantity: number;
  pending_quantity: number;
  cancelled_quantity: number;
  price: number;
  trigger_price: number;
  average_price: number;
  status: SimStatus;
  status_message: string | null;
  tag: string | null;
  order_timestamp: string;
  exchange_timestamp: string | null;
  exchange_update_timestamp: string;
}

/** An order with what the engine needs to move it on; prices are kept in paise to stay exact. */
export interface LiveOrder {
  readonly account: string;
  readonly order: SimOrder;
  /** Time of the latest change, ms: the next change is stamped at least 1 ms later. */
  lastMs: number;
  /** Reference market price, paise. */
  refPaise: number;
  /** Sum of fill quantity x fill price, paise, for the average price. */
  filledValue: number;
  /** Background orders may be modified or cancelled by the sim's pretend user; API orders not. */
  readonly background: boolean;
  modified: boolean;
  steps: number;
}

export const isTerminalStatus = (s: SimStatus): boolean =>
  s === 'COMPLETE' || s === 'CANCELLED' || s === 'REJECTED';

/** ISO 8601 UTC with milliseconds and Z. */
export const iso = (ms: number): string => new Date(ms).toISOString();

export const toPaise = (rupees: number): number => Math.round(rupees * 100);

/** Rounds paise to the 5-paise tick that NSE and NFO use. */
export const toTick = (paise: number): number => Math.max(5, Math.round(paise / 5) * 5);

/** Marks a change now: strictly later than the previous change of this order. */
export function stamp(live: LiveOrder, now: number): void {
  live.lastMs = Math.max(now, live.lastMs + 1);
  live.order.exchange_update_timestamp = iso(live.lastMs);
}

/** Fills qty at pricePaise; COMPLETE when nothing is left. */
export function fill(live: LiveOrder, qty: number, pricePaise: number, now: number): void {
  const o = live.order;
  const q = Math.min(qty, o.pending_quantity);
  live.filledValue += q * pricePaise;
  o.filled_quantity += q;
  o.pending_quantity -= q;
  o.average_price = Math.round(live.filledValue / o.filled_quantity) / 100;
  if (o.pending_quantity === 0) o.status = 'COMPLETE';
  stamp(live, now);
}

/** Cancels what is still pending; a partial fill keeps its filled_quantity. */
export function cancel(live: LiveOrder, now: number, message: string): void {
  const o = live.order;
  o.cancelled_quantity = o.pending_quantity;
  o.pending_quantity = 0;
  o.status = 'CANCELLED';
  o.status_message = message;
  stamp(live, now);
}

/** A stop order's trigger price was reached: it now rests (SL) or executes (SL-M) like the others. */
export function trigger(live: LiveOrder, now: number): void {
  live.order.status = 'OPEN';
  stamp(live, now);
}

/** Moves a resting order's limit price. */
export function modify(live: LiveOrder, pricePaise: number, now: number): void {
  live.order.price = pricePaise / 100;
  live.modified = true;
  stamp(live, now);
}
