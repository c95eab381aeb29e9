/**
 * The outcome rules of DESIGN.md "Batch orders", never rounded up: `success` when every leg was
 * placed, `failed` when none was, `rolled_back` when some failed and every placed leg was
 * cancelled with nothing filled, `partial` whenever exposure may remain.
 */
import type { BatchOutcome, LegResult } from './schema.js';

/** The outcome of a finished batch from its legs' final statuses. */
export function batchOutcome(legs: readonly Pick<LegResult, 'status' | 'filled_quantity'>[]): BatchOutcome {
  if (legs.every((l) => l.status === 'placed')) return 'success';
  if (legs.every((l) => l.status === 'rejected')) return 'failed';
  const touched = legs.filter((l) => l.status !== 'rejected');
  return touched.every((l) => l.status === 'cancelled' && l.filled_quantity === 0)
    ? 'rolled_back'
    : 'partial';
}

/** The counts of a result: legs that reached the broker, legs that did not, and their order ids. */
export function tally(legs: readonly LegResult[]): {
  succeeded: number;
  failed: number;
  order_ids: string[];
} {
  const failed = legs.filter((l) => l.status === 'rejected').length;
  // A leg the broker took and then rejected (Kite's RMS) has an order id but was never placed.
  const order_ids = legs.flatMap((l) => (l.order_id && l.status !== 'rejected' ? [l.order_id] : []));
  return { succeeded: order_ids.length, failed, order_ids };
}
