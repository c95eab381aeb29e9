/**
 * The `alpaca` dialect: Alpaca's Trading API `trade_updates` stream. Handshake: auth, then listen,
 * then live (https://docs.alpaca.markets/docs/websocket-streaming, old and current message forms);
 * the paper stream sends JSON in binary frames. Snapshot: GET /v2/orders, paged
 * (Trading API reference "Get All Orders": `after` is exclusive, `limit` at most 500, asc/desc by
 * submission time).
 */
import { z } from 'zod';
import {
  AlpacaOrderSchema,
  AlpacaTradeUpdateSchema,
  flattenAlpacaOrder,
  fromAlpacaTradeUpdate,
} from '../../orders/alpaca-vocabulary.js';
import type { KiteLeg, NormalizeContext } from '../../orders/kite-vocabulary.js';
import type { Order } from '../../orders/model.js';
import { GatewayError } from '../../util/errors.js';
import type { RestClient } from '../rest.js';
import { firstIssue, parseJson, trimSlash, type UpstreamRequest } from './shared.js';
import type { Dialect, DialectAccount, UpstreamEvent } from './types.js';

/** Alpaca's page cap on GET /v2/orders. */
export const ALPACA_PAGE_LIMIT = 500;
const MAX_PAGES = 1_000;
const DAY_MS = 24 * 60 * 60 * 1000;
const LISTEN = JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } });

/** `{"stream": ..., "data": ...}`, the envelope of every stream message. */
const StreamSchema = z.compile(z.object({ stream: z.string(), data: z.unknown() }), { strict: true });
const AuthSchema = z.object({
  stream: z.literal('authorization'),
  data: z.object({ status: z.string(), action: z.string().optional() }),
});
const ListeningSchema = z.object({
  stream: z.literal('listening'),
  data: z.object({ streams: z.array(z.string()) }),
});
const ErrorSchema = z.union([
  z.object({
    action: z.literal('error'),
    data: z.object({ error_message: z.string().optional() }).optional(),
  }),
  z.object({ T: z.literal('error'), code: z.number().optional(), msg: z.string().optional() }),
]);
/** Error frames that are about credentials; others (e.g. "internal server error") just precede a close. */
const authProblem =
  /unauthori[sz]ed|auth(entication)? failed|not authenticated|forbidden|credential|api key/i;

/** Alpaca's REST headers: the key id and secret (never log them). */
export function alpacaHeaders(account: DialectAccount): Record<string, string> {
  const { key_id: key = '', secret_key: secret = '' } = account.credentials;
  return { 'APCA-API-KEY-ID': key, 'APCA-API-SECRET-KEY': secret };
}

function errorEvent(e: z.infer<typeof ErrorSchema>): UpstreamEvent {
  const reason = 'T' in e ? `${e.code ?? ''} ${e.msg ?? 'error'}`.trim() : (e.data?.error_message ?? 'error');
  const auth = authProblem.test(reason) || ('T' in e && (e.code === 401 || e.code === 402));
  return auth ? { kind: 'auth_failed', reason } : { kind: 'control', message: `error: ${reason}` };
}

function readMessage(m: unknown, ctx: NormalizeContext): UpstreamEvent[] {
  // Nearly every frame is a trade update: read it without first failing three control schemas
  // (a failed parse runs zod's runtime parser and builds an error, on every frame).
  const framed = StreamSchema.safeParse(m);
  if (framed.success && framed.data.stream === 'trade_updates' && !isControl(m)) {
    return tradeUpdate(framed.data.data, ctx);
  }
  const auth = AuthSchema.safeParse(m);
  if (auth.success) {
    const { status, action = 'authenticate' } = auth.data.data;
    return status === 'authorized'
      ? [{ kind: 'reply', text: LISTEN }]
      : [{ kind: 'auth_failed', reason: `${status} (${action})` }];
  }
  const listening = ListeningSchema.safeParse(m);
  if (listening.success) {
    const { streams } = listening.data.data;
    return streams.includes('trade_updates')
      ? [{ kind: 'control', ready: true }]
      : [{ kind: 'control', message: `listening to [${streams.join(', ')}] without trade_updates` }];
  }
  const error = ErrorSchema.safeParse(m);
  if (error.success) return [errorEvent(error.data)];
  if (framed.success && framed.data.stream !== 'trade_updates') {
    return [{ kind: 'control', message: `stream ${framed.data.stream}` }];
  }
  return tradeUpdate(framed.success ? framed.data.data : m, ctx);
}

/** Keys that make a message an error or control frame whatever its stream says. */
const isControl = (m: unknown) => typeof m === 'object' && m !== null && ('action' in m || 'T' in m);

/** The stream's `{"stream":"trade_updates","data":{event, order}}` data, or the bare event (traces, broker API). */
function tradeUpdate(data: unknown, ctx: NormalizeContext): UpstreamEvent[] {
  const update = AlpacaTradeUpdateSchema.safeParse(data);
  if (!update.success) return [{ kind: 'invalid', reason: firstIssue(update.error, 'message') }];
  return fromAlpacaTradeUpdate(update.data, ctx).map((order) => ({ kind: 'update', order }));
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

/** At most this many orders are read one by one in a resync (see fetchSnapshot). */
const MAX_LOOKUPS = 500;
const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * The account's orders as a resync needs them. Alpaca lists orders by submission time only, so
 * one list can't show every order that changed while the link was down. Three reads cover it:
 * every order submitted in the last 24 h (counted back from ctx.receivedAt), every open order
 * whatever its age, and, one by one, each order the gateway still holds as open (ctx.knownOpen)
 * that neither list returned: an older order that filled, was cancelled or expired meanwhile.
 * Deduplicated by id (a later copy wins).
 */
async function fetchSnapshot(
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
  const missing = (ctx.knownOpen ?? []).filter((id) => !byId.has(id));
  if (missing.length > MAX_LOOKUPS) {
    ctx.onInvalid?.(`${missing.length} open orders missing from the lists; reading the first ${MAX_LOOKUPS}`);
  }
  for (const id of missing.slice(0, MAX_LOOKUPS)) {
    const res = await rest.call('GET', `${trimSlash(account.restUrl)}/v2/orders/${encodeURIComponent(id)}`, {
      headers: alpacaHeaders(account),
    });
    if (res.status === 404) continue; // gone from the broker: nothing to apply
    checkList(res.status, `order ${id}`);
    addOrder(res.body, byId, ctx);
  }
  return [...byId.values()];
}

/** The Alpaca dialect. Credentials: `key_id` and `secret_key` (the API key pair). */
export const alpaca: Dialect = {
  name: 'alpaca',
  defaultTimeZone: 'UTC',
  ping: { kind: 'protocol' },
  connectRequest: (account) => ({ url: account.wsUrl, headers: {} }),

  onOpen(account, send) {
    const { key_id: key = '', secret_key: secret = '' } = account.credentials;
    send(JSON.stringify({ action: 'auth', key, secret }));
    return false;
  },

  parse(data, _isBinary, ctx) {
    // JSON either way: the paper stream sends it in binary frames. (MessagePack is never asked for.)
    const text = typeof data === 'string' ? data : data.toString('utf8');
    const parsed = parseJson(text);
    if (!parsed.ok) return [{ kind: 'invalid', reason: parsed.reason }];
    const json = parsed.value;
    return (Array.isArray(json) ? json : [json]).flatMap((m) => readMessage(m, ctx));
  },

  fetchSnapshot,
};

const alpacaTypes = { MARKET: 'market', LIMIT: 'limit', SL: 'stop_limit', 'SL-M': 'stop' } as const;

/**
 * Places one order: POST /v2/orders, JSON, time_in_force `day`. Decimals go as strings. The leg's
 * `exchange` and `product` have no Alpaca counterpart and are not sent; `tag` is the client_order_id.
 */
export function alpacaPlaceRequest(account: DialectAccount, leg: KiteLeg): UpstreamRequest {
  const body: Record<string, string> = {
    symbol: leg.tradingsymbol,
    side: leg.transaction_type === 'BUY' ? 'buy' : 'sell',
    type: alpacaTypes[leg.order_type],
    qty: String(leg.quantity),
    time_in_force: 'day',
  };
  if (leg.price !== undefined) body.limit_price = String(leg.price);
  if (leg.trigger_price !== undefined) body.stop_price = String(leg.trigger_price);
  if (leg.tag !== undefined) body.client_order_id = leg.tag;
  return {
    method: 'POST',
    url: `${trimSlash(account.restUrl)}/v2/orders`,
    headers: { ...alpacaHeaders(account), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** Cancels one order: DELETE /v2/orders/{order_id}. */
export function alpacaCancelRequest(account: DialectAccount, orderId: string): UpstreamRequest {
  return {
    method: 'DELETE',
    url: `${trimSlash(account.restUrl)}/v2/orders/${encodeURIComponent(orderId)}`,
    headers: alpacaHeaders(account),
  };
}
