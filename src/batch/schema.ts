/**
 * Batch order requests and results (DESIGN.md "Batch orders"): 1 to 10 legs in Kite's
 * vocabulary, validated with zod; every problem is reported with its path.
 */
import { z } from 'zod';

export const LegSchema = z
  .object({
    tradingsymbol: z.string().min(1).max(64),
    exchange: z.string().min(1).max(16),
    transaction_type: z.enum(['BUY', 'SELL']),
    quantity: z.number().int('must be a whole number').positive(),
    order_type: z.enum(['MARKET', 'LIMIT', 'SL', 'SL-M']),
    product: z.enum(['NRML', 'MIS', 'CNC']),
    price: z.number().positive().optional(),
    trigger_price: z.number().positive().optional(),
    tag: z.string().max(20).optional(),
  })
  .strict()
  .superRefine((leg, ctx) => {
    const needsPrice = leg.order_type === 'LIMIT' || leg.order_type === 'SL';
    const needsTrigger = leg.order_type === 'SL' || leg.order_type === 'SL-M';
    if (needsPrice && leg.price === undefined) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: `required for ${leg.order_type}` });
    }
    if (!needsPrice && leg.price !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['price'], message: `not allowed for ${leg.order_type}` });
    }
    if (needsTrigger && leg.trigger_price === undefined) {
      ctx.addIssue({ code: 'custom', path: ['trigger_price'], message: `required for ${leg.order_type}` });
    }
    if (!needsTrigger && leg.trigger_price !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['trigger_price'], message: `not allowed for ${leg.order_type}` });
    }
  });
export type Leg = z.infer<typeof LegSchema>;

export const BatchRequestSchema = z
  .object({
    orders: z.array(LegSchema).min(1, 'at least 1 leg').max(10, 'at most 10 legs'),
    rollback_on_failure: z.boolean().default(true),
  })
  .strict();
export type BatchRequest = z.infer<typeof BatchRequestSchema>;

/**
 * Where a leg ended: `placed` (live at the broker), `rejected` (never placed), `cancelled`
 * (rolled back; see filled_quantity), `filled` (could not be cancelled), `open` (a cancel that
 * did not take), `unknown` (no answer, and the broker could not tell).
 */
export type LegStatus = 'placed' | 'rejected' | 'cancelled' | 'filled' | 'open' | 'unknown';
export type BatchOutcome = 'success' | 'failed' | 'rolled_back' | 'partial';

export interface LegResult {
  index: number;
  status: LegStatus;
  order_id: string | null;
  client_order_id: string;
  filled_quantity: number;
  error: string | null;
}

export interface BatchResult {
  status: BatchOutcome | 'in_progress';
  account_id: string;
  batch_id: string;
  mode: 'native' | 'gateway';
  total_orders: number;
  succeeded: number;
  failed: number;
  order_ids: string[];
  legs: LegResult[];
  created_at: string;
  completed_at: string | null;
}
