/**
 * GET /v2/orders filtering and paging, as Alpaca's "Get All Orders" reference describes it
 * (https://docs.alpaca.markets/reference/getallorders): `status` open|closed|all (default open),
 * `limit` (default 50, at most 500), `after`/`until` (exclusive bounds on submitted_at),
 * `direction` asc|desc by submission (default desc), `symbols` and `side` filters. `nested` only
 * matters for multi-leg orders, which the sim doesn't place. Pure over already-built order objects.
 */
import { z } from 'zod';

export const ALPACA_DEFAULT_LIMIT = 50;
export const ALPACA_MAX_LIMIT = 500;

const stamped = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/i;

/** An RFC 3339 time (or a bare date) as nanoseconds since the epoch, or null when unreadable. */
export function toNanos(value: string): bigint | null {
  const m = stamped.exec(value.trim());
  if (!m) {
    const ms = /^\d{4}-\d\d-\d\d$/.test(value.trim()) ? Date.parse(`${value.trim()}T00:00:00Z`) : Number.NaN;
    return Number.isNaN(ms) ? null : BigInt(ms) * 1_000_000n;
  }
  const [, head, frac = '', zone] = m;
  const seconds = Date.parse(`${head}${zone}`);
  if (Number.isNaN(seconds)) return null;
  return BigInt(seconds) * 1_000_000n + BigInt(frac.padEnd(9, '0'));
}

const time = z
  .string()
  .transform((s, ctx) => {
    const n = toNanos(s);
    if (n !== null) return n;
    ctx.addIssue({ code: 'custom', message: `invalid time ${s}` });
    return z.NEVER;
  })
  .optional();

export const ListQuerySchema = z.object({
  status: z.enum(['open', 'closed', 'all']).default('open'),
  limit: z.coerce
    .number()
    .int()
    .positive()
    .default(ALPACA_DEFAULT_LIMIT)
    .transform((n) => Math.min(n, ALPACA_MAX_LIMIT)),
  after: time,
  until: time,
  direction: z.enum(['asc', 'desc']).default('desc'),
  symbols: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .optional(),
  side: z.enum(['buy', 'sell']).optional(),
  nested: z.enum(['true', 'false']).optional(),
});
export type ListQuery = z.infer<typeof ListQuerySchema>;

/** The fields of an Alpaca order object the listing reads. */
interface Listed {
  status: unknown;
  submitted_at: unknown;
  symbol: unknown;
  side: unknown;
}

const closed = new Set(['filled', 'canceled', 'expired', 'rejected', 'replaced', 'done_for_day']);

/** One page of orders (given in submission order), filtered and sorted as the query says. */
export function listOrders<T extends Listed>(orders: readonly T[], q: ListQuery): T[] {
  const at = (o: T) => toNanos(String(o.submitted_at)) ?? 0n;
  const kept = orders.filter((o) => {
    const isClosed = closed.has(String(o.status));
    if (q.status === 'open' && isClosed) return false;
    if (q.status === 'closed' && !isClosed) return false;
    if (q.after !== undefined && at(o) <= q.after) return false;
    if (q.until !== undefined && at(o) >= q.until) return false;
    if (q.symbols && !q.symbols.includes(String(o.symbol))) return false;
    return q.side === undefined || o.side === q.side;
  });
  kept.sort((a, b) => {
    const d = at(a) - at(b);
    return d === 0n ? 0 : d < 0n ? -1 : 1;
  });
  if (q.direction === 'desc') kept.reverse();
  return kept.slice(0, q.limit);
}
