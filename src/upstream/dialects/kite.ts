/**
 * The `kite` dialect: Zerodha Kite Connect v3. Order updates arrive on the ticker socket as text
 * frames `{"type":"order","data":{...postback...}}`; market data is binary and ignored here.
 * Sources: https://kite.trade/docs/connect/v3/websocket/ (text vs binary frames, 1-byte heartbeat,
 * `order`/`error`/`message` types), https://kite.trade/docs/connect/v3/postbacks/ (payload and
 * checksum), https://kite.trade/docs/connect/v3/orders/ (GET /orders, place, cancel),
 * https://kite.trade/docs/connect/v3/exceptions/ (TokenException), pykiteconnect `ticker.py`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  fromKiteOrder,
  type KiteLeg,
  KiteOrderSchema,
  type NormalizeContext,
} from '../../orders/kite-vocabulary.js';
import { GatewayError } from '../../util/errors.js';
import type { RestResponse } from '../rest.js';
import { firstIssue, parseJson, trimSlash, type UpstreamRequest } from './shared.js';
import type { Dialect, DialectAccount, UpstreamEvent } from './types.js';

// Every live frame goes through it: compiled, as KiteOrderSchema is (kite-vocabulary.ts).
const FrameSchema = z.compile(z.object({ type: z.string(), data: z.unknown().optional() }), { strict: true });
const BookSchema = z.object({ status: z.literal('success'), data: z.array(z.unknown()) });
const ErrorBodySchema = z.object({ error_type: z.string().optional() });
/** An `error` frame that names the token or key: the session is gone, retrying won't help. */
const authProblem = /token|api[_ -]?key|unauthori[sz]ed|forbidden|(session|login) expired/i;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kite's REST headers: API version 3 and `token api_key:access_token` (never log them). */
export function kiteHeaders(account: DialectAccount): Record<string, string> {
  const { api_key: key = '', access_token: token = '' } = account.credentials;
  return { 'X-Kite-Version': '3', Authorization: `token ${key}:${token}` };
}

/** The postback checksum: hex SHA-256 of order_id + order_timestamp + api_secret (postbacks docs). */
export function kiteChecksum(orderId: string, orderTimestamp: string, apiSecret: string): string {
  return createHash('sha256')
    .update(orderId + orderTimestamp + apiSecret)
    .digest('hex');
}

function checksumMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given.toLowerCase());
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Reads one postback-format order (an HTTP postback body, or the `data` of a WS order frame).
 * A non-empty checksum is verified when `apiSecret` is set; the WS copy carries it blank.
 */
export function fromKitePostback(
  body: unknown,
  apiSecret: string | undefined,
  ctx: NormalizeContext,
): UpstreamEvent {
  const o = KiteOrderSchema.safeParse(body);
  if (!o.success) return { kind: 'invalid', reason: firstIssue(o.error, 'order') };
  const given = isRecord(body) && typeof body.checksum === 'string' ? body.checksum : '';
  if (given !== '' && apiSecret) {
    const expected = kiteChecksum(o.data.order_id, o.data.order_timestamp ?? '', apiSecret);
    if (!checksumMatches(given, expected)) return { kind: 'invalid', reason: 'checksum mismatch' };
  }
  return { kind: 'update', order: fromKiteOrder(o.data, ctx) };
}

function textEvent(json: unknown, account: DialectAccount | undefined, ctx: NormalizeContext): UpstreamEvent {
  const frame = FrameSchema.safeParse(json);
  if (!frame.success) return { kind: 'invalid', reason: 'not a {"type":...} frame' };
  const { type, data } = frame.data;
  const message = typeof data === 'string' ? data : JSON.stringify(data ?? null);
  switch (type) {
    case 'order':
      // Seen in the wild (kite.trade forum 7454): the order's fields at the top level, no `data`.
      return fromKitePostback(isRecord(data) ? data : json, account?.credentials.api_secret, ctx);
    case 'error':
      return authProblem.test(message)
        ? { kind: 'auth_failed', reason: message }
        : { kind: 'control', message };
    default:
      return { kind: 'control', message: `${type}: ${message}` };
  }
}

function snapshotFailure(res: RestResponse): GatewayError {
  const errorType = ErrorBodySchema.safeParse(res.body).data?.error_type;
  const what = `order book answered ${res.status}${errorType ? ` (${errorType})` : ''}`;
  if (res.status === 401 || res.status === 403 || errorType === 'TokenException') {
    return new GatewayError('unauthorized', what);
  }
  if (res.status === 429 || res.status >= 500) return new GatewayError('upstream_unavailable', what);
  return new GatewayError('upstream_error', what);
}

/** The Kite dialect. Credentials: `api_key`, `access_token`, and optionally `api_secret` (checksums). */
export const kite: Dialect = {
  name: 'kite',
  defaultTimeZone: 'Asia/Kolkata',
  ping: { kind: 'protocol' },

  connectRequest(account) {
    const url = new URL(account.wsUrl);
    url.searchParams.set('api_key', account.credentials.api_key ?? '');
    url.searchParams.set('access_token', account.credentials.access_token ?? '');
    return { url: url.toString(), headers: { 'X-Kite-Version': '3' } };
  },

  // Order updates flow as soon as the socket is up: there is nothing to subscribe to.
  onOpen: () => true,

  parse(data, isBinary, ctx, account) {
    // Binary frames are market data (ignored), except the 1-byte heartbeat.
    if (isBinary) return data.length === 1 ? [{ kind: 'heartbeat' }] : [];
    const text = typeof data === 'string' ? data : data.toString('utf8');
    const parsed = parseJson(text);
    if (!parsed.ok) return [{ kind: 'invalid', reason: parsed.reason }];
    const json = parsed.value;
    return [textEvent(json, account, ctx)];
  },

  async fetchSnapshot(rest, account, ctx) {
    const res = await rest.call('GET', `${trimSlash(account.restUrl)}/orders`, {
      headers: kiteHeaders(account),
    });
    if (res.status !== 200) throw snapshotFailure(res);
    const book = BookSchema.safeParse(res.body);
    if (!book.success)
      throw new GatewayError('upstream_error', 'order book is not {"status":"success","data":[...]}');
    return book.data.data.flatMap((raw) => {
      const o = KiteOrderSchema.safeParse(raw);
      if (o.success) return [fromKiteOrder(o.data, ctx)];
      ctx.onInvalid?.(`order book entry: ${firstIssue(o.error, 'order')}`);
      return [];
    });
  },
};

/** Places one order: POST /orders/{variety}, form-encoded (orders docs). Kite has no batch call. */
export function kitePlaceRequest(
  account: DialectAccount,
  leg: KiteLeg,
  variety = 'regular',
): UpstreamRequest {
  const form = new URLSearchParams({
    tradingsymbol: leg.tradingsymbol,
    exchange: leg.exchange,
    transaction_type: leg.transaction_type,
    quantity: String(leg.quantity),
    order_type: leg.order_type,
    product: leg.product,
    validity: 'DAY',
  });
  if (leg.price !== undefined) form.set('price', String(leg.price));
  if (leg.trigger_price !== undefined) form.set('trigger_price', String(leg.trigger_price));
  if (leg.tag !== undefined) form.set('tag', leg.tag);
  return {
    method: 'POST',
    url: `${trimSlash(account.restUrl)}/orders/${encodeURIComponent(variety)}`,
    headers: { ...kiteHeaders(account), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  };
}

/** Cancels one order: DELETE /orders/{variety}/{order_id} (orders docs). */
export function kiteCancelRequest(
  account: DialectAccount,
  orderId: string,
  variety = 'regular',
): UpstreamRequest {
  const base = trimSlash(account.restUrl);
  return {
    method: 'DELETE',
    url: `${base}/orders/${encodeURIComponent(variety)}/${encodeURIComponent(orderId)}`,
    headers: kiteHeaders(account),
  };
}
