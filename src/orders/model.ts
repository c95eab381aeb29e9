/**
 * The normalized order: what every dialect's frames become and what clients see
 * (../shared/DESIGN.md, "Normalized order").
 */
import { z } from 'zod';

export const OrderStatusSchema = z.enum([
  'pending',
  'open',
  'partially_filled',
  'filled',
  'cancelled',
  'rejected',
  'expired',
]);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

export const OrderSchema = z.object({
  account_id: z.string(),
  order_id: z.string(),
  client_order_id: z.string().nullable(),
  symbol: z.string(),
  exchange: z.string().nullable(),
  side: z.enum(['buy', 'sell']),
  order_type: z.enum(['market', 'limit', 'stop', 'stop_limit']).nullable(),
  product: z.string().nullable(),
  quantity: z.number(),
  filled_quantity: z.number(),
  pending_quantity: z.number(),
  price: z.number().nullable(),
  trigger_price: z.number().nullable(),
  average_price: z.number().nullable(),
  status: OrderStatusSchema,
  broker_status: z.string(),
  status_message: z.string().nullable(),
  replaced_by: z.string().nullable(),
  updated_at: z.string(),
});
export type Order = z.infer<typeof OrderSchema>;

const terminal: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected', 'expired']);

/** A terminal state is final: nothing the broker says later moves the order out of it. */
export function isTerminal(status: OrderStatus): boolean {
  return terminal.has(status);
}

/** Progress rank, for telling a late non-terminal update from a newer one. */
export function statusRank(status: OrderStatus): number {
  if (isTerminal(status)) return 3;
  return status === 'partially_filled' ? 2 : status === 'open' ? 1 : 0;
}
