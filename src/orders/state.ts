/**
 * Known order state and the guards that keep it monotonic (DESIGN.md "Upstream"): a terminal
 * state is sticky, filled_quantity never goes down, an older update never overwrites a newer
 * one, and an unchanged update is not re-broadcast. judgeUpdate is pure; the book is a thin map.
 */
import { isTerminal, type Order, statusRank } from './model.js';

export type Verdict = { accept: true } | { accept: false; reason: 'duplicate' | 'stale'; detail: string };

const compared: ReadonlyArray<keyof Order> = [
  'status',
  'filled_quantity',
  'pending_quantity',
  'quantity',
  'price',
  'trigger_price',
  'average_price',
  'status_message',
  'replaced_by',
  'order_type',
  'product',
  'client_order_id',
  'symbol',
  'exchange',
  'side',
];

/**
 * True when two versions of an order say the same thing. The timestamp alone doesn't count, nor
 * does the broker's own word when the normalized status agrees (Kite's stream says UPDATE where
 * its REST book says OPEN for the same partially filled order).
 */
export function sameContent(a: Order, b: Order): boolean {
  return compared.every((k) => a[k] === b[k]);
}

/** Decides whether `next` may replace `prev` for the same order. */
export function judgeUpdate(prev: Order | undefined, next: Order): Verdict {
  if (!prev) return { accept: true };
  if (sameContent(prev, next)) return { accept: false, reason: 'duplicate', detail: 'unchanged' };
  if (isTerminal(prev.status)) return { accept: false, reason: 'stale', detail: `already ${prev.status}` };
  if (next.filled_quantity < prev.filled_quantity) {
    return { accept: false, reason: 'stale', detail: 'filled_quantity would decrease' };
  }
  if (next.filled_quantity > prev.filled_quantity) return { accept: true };
  const rankNext = statusRank(next.status);
  const rankPrev = statusRank(prev.status);
  if (rankNext < rankPrev) {
    return { accept: false, reason: 'stale', detail: `${next.status} after ${prev.status}` };
  }
  // Progress wins over clocks: timestamps from different sources (a frame without one is stamped
  // on receipt in ms; Kite's are whole seconds) can't order a step forward against the last one.
  if (rankNext > rankPrev) return { accept: true };
  if (next.updated_at < prev.updated_at) return { accept: false, reason: 'stale', detail: 'older timestamp' };
  return { accept: true };
}

/** Forgets the first-seen terminal order, if any (Map iteration is insertion order). */
function evictOldestTerminal(orders: Map<string, Order>): void {
  for (const [id, o] of orders) {
    if (isTerminal(o.status)) {
      orders.delete(id);
      return;
    }
  }
}

export interface OrderBook {
  /** Applies an update: returns the verdict, and stores the order when it was accepted. */
  apply(order: Order): Verdict;
  get(accountId: string, orderId: string): Order | undefined;
  /** The account's orders, in the order they were first seen. */
  list(accountId: string): Order[];
}

/**
 * An empty book of known orders per account. Past `maxPerAccount` orders, the oldest terminal
 * order is forgotten to make room (live orders never are), so a long-running gateway stays
 * bounded; a forgotten order that a resync brings back is relayed once more, as new.
 */
export function createOrderBook(opts: { maxPerAccount?: number } = {}): OrderBook {
  const max = opts.maxPerAccount ?? 100_000;
  const accounts = new Map<string, Map<string, Order>>();
  const ordersOf = (accountId: string) => {
    let m = accounts.get(accountId);
    if (!m) {
      m = new Map();
      accounts.set(accountId, m);
    }
    return m;
  };
  return {
    apply(order) {
      const orders = ordersOf(order.account_id);
      const known = orders.get(order.order_id);
      const verdict = judgeUpdate(known, order);
      if (!verdict.accept) return verdict;
      if (!known && orders.size >= max) evictOldestTerminal(orders);
      orders.set(order.order_id, order);
      return verdict;
    },
    get: (accountId, orderId) => accounts.get(accountId)?.get(orderId),
    list: (accountId) => [...(accounts.get(accountId)?.values() ?? [])],
  };
}
