/**
 * Alpaca's REST reads for a resync (DESIGN.md "Upstream"): the paged GET /v2/orders lists and
 * single orders by id, normalized and deduplicated. Also the REST headers every Alpaca call uses.
 */
import { AlpacaOrderSchema, flattenAlpacaOrder } from '../../orders/alpaca-vocabulary.js';
import type { NormalizeContext } from '../../orders/kite-vocabulary.js';
import type { Order } from '../../orders/model.js';
import { GatewayError } from '../../util/errors.js';
import type { RestClient } from '../rest.js';
import { firstIssue, trimSlash } from './shared.js';
import type { DialectAccount } from './types.js';

/** Alpaca's page cap on GET /v2/orders. */
export const ALPACA_PAGE_LIMIT = 500;
const MAX_PAGES = 1_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Alpaca's REST headers: the key id and secret (never log them). */
export function alpacaHeaders(account: DialectAccount): Record<string, string> {
  const { key_id: key = '', secret_key: secret = '' } = account.credentials;
  return { 'APCA-API-KEY-ID': key, 'APCA-API-SECRET-KEY': secret };
}

/** One page of GET /v2/orders: `status` orders submitted after `after`, oldest first. */
async function fetchPage(
  rest: RestClient,
  account: DialectAccount,
  status: 'all' | 'open',
  after: string,
): Promise<unknown[]> {
  const q = new URLSearchParams({
    status,
    nested: 'true',
    limit: String(ALPACA_PAGE_LIMIT),
    direction: 'asc',
    after,
  });
  const res = await rest.call('GET', `${trimSlash(account.restUrl)}/v2/orders?${q}`, {
    headers: alpacaHeaders(account),
  });
  checkList(res.status, 'orders');
  if (!Array.isArray(res.body)) throw new GatewayError('upstream_error', 'orders body is not an array');
  return res.body;
}

/** Turns a failed order read into the GatewayError the link acts on (never with credentials). */
function checkList(status: number, what: string): void {
  const message = `${what} answered ${status}`;
  if (status === 401 || status === 403) throw new GatewayError('unauthorized', message);
  if (status === 429 || status >= 500) throw new GatewayError('upstream_unavailable', message);
  if (status !== 200) throw new GatewayError('upstream_error', message);
}

/**
 * Where the next page starts. `after` is exclusive, so restarting at the last order's own time
 * would skip its same-time siblings not yet returned: restart 1 ms earlier and dedupe by id. Only
 * when a whole page was already known (a page of one instant) is the exact time used, to progress.
 */
function nextAfter(last: unknown, progressed: boolean): string {
  const o = AlpacaOrderSchema.safeParse(last);
  const stamp = o.success ? (o.data.submitted_at ?? o.data.created_at) : null;
  const ms = stamp ? Date.parse(stamp) : Number.NaN;
  if (!stamp || Number.isNaN(ms))
    throw new GatewayError('upstream_error', 'cannot page: order without submitted_at');
  return progressed ? new Date(ms - 1).toISOString() : stamp;
}

/** Adds one order as read from the REST API (legs flattened into their own orders); its id, or null. */
function addOrder(raw: unknown, byId: Map<string, Order>, ctx: NormalizeContext): string | null {
  const o = AlpacaOrderSchema.safeParse(raw);
  if (!o.success) {
    ctx.onInvalid?.(`orders entry: ${firstIssue(o.error, 'message')}`);
    return null;
  }
  for (const order of flattenAlpacaOrder(o.data, ctx)) byId.set(order.order_id, order);
  return o.data.id;
}

/** Every page of GET /v2/orders?status=… submitted after `after`, into `byId`. */
async function fetchList(
  rest: RestClient,
  account: DialectAccount,
  status: 'all' | 'open',
  after: string,
  byId: Map<string, Order>,
  ctx: NormalizeContext,
): Promise<void> {
  const listed = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const raws = await fetchPage(rest, account, status, after);
    let fresh = 0;
    for (const raw of raws) {
      const id = addOrder(raw, byId, ctx);
      if (id !== null && !listed.has(id)) {
        listed.add(id);
        fresh++;
      }
    }
    if (raws.length < ALPACA_PAGE_LIMIT) return;
    after = nextAfter(raws[raws.length - 1], fresh > 0);
  }
  throw new GatewayError('upstream_error', `orders did not end within ${MAX_PAGES} pages`);
}

/**
 * At most this many orders are read one by one in a resync (see fetchSnapshot): with the list
 * pages, a resync stays well inside Alpaca's 200 requests per minute, so a retried resync can't
 * keep tripping the rate limit.
 */
const MAX_LOOKUPS = 100;
const EPOCH = '1970-01-01T00:00:00.000Z';

/** Statuses of a lookup by id that concern that one order only: skipped and reported. */
const SKIPPED_LOOKUP = new Set([400, 404, 422]);

/**
 * Reads by id, at most MAX_LOOKUPS of them, the orders held as open that no list returned. The
 * batch starts at a point that moves with each resync, so an order that stays unreadable can't
 * hold the same first ids back forever. An order a lookup already brought (a parent's legs)
 * isn't read again.
 */
async function lookUpMissing(
  rest: RestClient,
  account: DialectAccount,
  byId: Map<string, Order>,
  ctx: NormalizeContext,
): Promise<void> {
  const missing = (ctx.knownOpen ?? []).filter((id) => !byId.has(id));
  if (missing.length === 0) return;
  if (missing.length > MAX_LOOKUPS) {
    ctx.onWarn?.(`${missing.length} open orders missing from the lists; reading ${MAX_LOOKUPS} this time`);
  }
  const start = Math.floor(Date.parse(ctx.receivedAt) / 1000) % missing.length;
  const batch = [...missing.slice(start), ...missing.slice(0, start)].slice(0, MAX_LOOKUPS);
  for (const id of batch) {
    if (byId.has(id)) continue;
    const url = `${trimSlash(account.restUrl)}/v2/orders/${encodeURIComponent(id)}?nested=true`;
    const res = await rest.call('GET', url, { headers: alpacaHeaders(account) });
    if (SKIPPED_LOOKUP.has(res.status)) {
      ctx.onWarn?.(`order ${id} held as open could not be read (HTTP ${res.status}); it stays as it was`);
      continue;
    }
    checkList(res.status, `order ${id}`);
    addOrder(res.body, byId, ctx);
  }
}

/**
 * The account's orders as a resync needs them. Alpaca lists orders by submission time only, so
 * one list can't show every order that changed while the link was down. Three reads cover it:
 * every order submitted in the last 24 h (counted back from ctx.receivedAt), every open order
 * whatever its age, and, one by one, each order the gateway still holds as open (ctx.knownOpen)
 * that neither list returned: an older order that filled, was cancelled or expired meanwhile.
 * Deduplicated by id (a later copy wins).
 */
export async function fetchSnapshot(
  rest: RestClient,
  account: DialectAccount,
  ctx: NormalizeContext,
): Promise<Order[]> {
  const byId = new Map<string, Order>();
  await fetchList(
    rest,
    account,
    'all',
    new Date(Date.parse(ctx.receivedAt) - DAY_MS).toISOString(),
    byId,
    ctx,
  );
  await fetchList(rest, account, 'open', EPOCH, byId, ctx);
  await lookUpMissing(rest, account, byId, ctx);
  return [...byId.values()];
}
