/**
 * The `alpaca` dialect: Alpaca's Trading API `trade_updates` stream. Handshake: auth, then listen,
 * then live (https://docs.alpaca.markets/docs/websocket-streaming, old and current message forms);
 * the paper stream sends JSON in binary frames. The snapshot's REST reads are in alpaca-rest.ts
 * (Trading API reference "Get All Orders": `after` is exclusive, `limit` at most 500, asc/desc by
 * submission time).
 */
import { z } from 'zod';
import { AlpacaTradeUpdateSchema, fromAlpacaTradeUpdate } from '../../orders/alpaca-vocabulary.js';
import type { KiteLeg, NormalizeContext } from '../../orders/kite-vocabulary.js';
import { alpacaHeaders, fetchSnapshot } from './alpaca-rest.js';
import { firstIssue, parseJson, trimSlash, type UpstreamRequest } from './shared.js';
import type { Dialect, DialectAccount, UpstreamEvent } from './types.js';

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
