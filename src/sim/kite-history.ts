/**
 * Kite's order history (GET /orders/{order_id}, https://kite.trade/docs/connect/v3/orders/#retrieving-an-orders-history):
 * every state an order went through, oldest first. An accepted order starts with the OMS steps
 * PUT ORDER REQ RECEIVED, VALIDATION PENDING and OPEN PENDING before the exchange acknowledges it
 * (fixture zerodha_kite_rest_order_history_mock); a rejected one stops after validation.
 */
import type { Engine } from './engine.js';
import { toKiteOrder } from './kite-order.js';

/** More than an order's lifecycle ever produces; a bound all the same. */
const MAX_ENTRIES = 50;

export interface KiteHistory {
  /** The order's states, or null when the account has no such order. */
  of(account: string, orderId: string): Record<string, unknown>[] | null;
}

/** Records every engine change from now on. */
export function recordKiteHistory(engine: Engine): KiteHistory {
  const byOrder = new Map<string, { account: string; entries: Record<string, unknown>[] }>();

  engine.onUpdate((account, order, change) => {
    const entry = toKiteOrder(account, order);
    let h = byOrder.get(order.order_id);
    if (!h) {
      h = { account, entries: [] };
      byOrder.set(order.order_id, h);
    }
    if (change.kind === 'placed' || change.kind === 'rejected') {
      const before = { exchange_order_id: null, exchange_timestamp: null, exchange_update_timestamp: null };
      const steps = ['PUT ORDER REQ RECEIVED', 'VALIDATION PENDING'];
      if (change.kind === 'placed') steps.push('OPEN PENDING');
      for (const status of steps)
        h.entries.push({ ...entry, ...before, status, status_message: null, status_message_raw: null });
    }
    h.entries.push(entry);
    if (h.entries.length > MAX_ENTRIES) h.entries.splice(0, h.entries.length - MAX_ENTRIES);
  });

  return {
    of(account, orderId) {
      const h = byOrder.get(orderId);
      return h && h.account === account ? h.entries.map((e) => ({ ...e })) : null;
    },
  };
}
