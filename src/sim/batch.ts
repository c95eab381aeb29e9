/**
 * The broker-native atomic batch: legs are placed in order; on a rejection with
 * rollback_on_failure the remaining legs are skipped and the placed ones cancelled. Outcomes
 * follow DESIGN.md "Batch orders" and are never rounded up.
 */
import { z } from 'zod';
import type { Engine } from './engine.js';
import { PlaceOrderSchema } from './order.js';

export const BatchRequestSchema = z.object({
  account_id: z.string().min(1),
  orders: z.array(PlaceOrderSchema).min(1).max(10),
  rollback_on_failure: z.boolean().default(true),
});
export type BatchRequest = z.infer<typeof BatchRequestSchema>;

export type LegStatus = 'placed' | 'rejected' | 'cancelled' | 'filled';
export type BatchStatus = 'success' | 'failed' | 'rolled_back' | 'partial';

export interface LegResult {
  index: number;
  status: LegStatus;
  order_id: string | null;
  error: string | null;
  /** Quantity filled when the batch answered (not sent on the wire). */
  filled: number;
}

export interface BatchResult {
  batch_id: string;
  account_id: string;
  status: BatchStatus;
  total_orders: number;
  succeeded: number;
  failed: number;
  order_ids: string[];
  legs: Omit<LegResult, 'filled'>[];
}

/**
 * The outcome of a batch from its legs: success when every leg was placed, failed when none was,
 * rolled_back when every placed leg was cancelled with nothing filled, partial otherwise.
 */
export function batchStatus(legs: readonly Pick<LegResult, 'status' | 'filled'>[]): BatchStatus {
  const placed = legs.filter((l) => l.status !== 'rejected');
  if (placed.length === legs.length) return 'success';
  if (placed.length === 0) return 'failed';
  return placed.every((l) => l.status === 'cancelled' && l.filled === 0) ? 'rolled_back' : 'partial';
}

/** Cancels a placed leg during rollback; a leg that already filled stays filled. */
function rollBack(engine: Engine, account: string, leg: LegResult): void {
  if (leg.order_id === null) return;
  const res = engine.cancel(account, leg.order_id);
  if (res.ok) {
    leg.status = 'cancelled';
    leg.filled = res.order.filled_quantity;
    if (leg.filled > 0) leg.error = `filled ${leg.filled} before it was cancelled`;
  } else if (res.code === 'not_cancellable') {
    leg.status = res.order.status === 'COMPLETE' ? 'filled' : 'cancelled';
    leg.filled = res.order.filled_quantity;
    leg.error = `could not roll back: order is ${res.order.status}`;
  }
}

/** Runs a batch against the engine. */
export function runBatch(engine: Engine, req: BatchRequest, batchId: string): BatchResult {
  const account = req.account_id;
  const legs: LegResult[] = [];
  let failedAt = -1;
  req.orders.forEach((leg, index) => {
    if (failedAt >= 0 && req.rollback_on_failure) {
      legs.push({
        index,
        status: 'rejected',
        order_id: null,
        error: `not placed: leg ${failedAt} was rejected`,
        filled: 0,
      });
      return;
    }
    const { ok, order } = engine.place(account, leg);
    if (!ok && failedAt < 0) failedAt = index;
    const status: LegStatus = !ok ? 'rejected' : order.status === 'COMPLETE' ? 'filled' : 'placed';
    legs.push({
      index,
      status,
      order_id: order.order_id,
      error: ok ? null : order.status_message,
      filled: order.filled_quantity,
    });
  });
  if (failedAt >= 0 && req.rollback_on_failure) {
    for (const leg of legs)
      if (leg.status === 'placed' || leg.status === 'filled') rollBack(engine, account, leg);
  }
  const placed = legs.filter((l) => l.status !== 'rejected');
  return {
    batch_id: batchId,
    account_id: account,
    status: batchStatus(legs),
    total_orders: legs.length,
    succeeded: placed.length,
    failed: legs.length - placed.length,
    order_ids: placed.flatMap((l) => (l.order_id ? [l.order_id] : [])),
    legs: legs.map(({ filled: _filled, ...rest }) => rest),
  };
}
