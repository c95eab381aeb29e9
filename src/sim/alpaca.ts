/**
 * The `alpaca` wire format: Alpaca's Trading API stream (https://docs.alpaca.markets/docs/websocket-streaming)
 * at `/stream`. The upgrade always succeeds; the client then authenticates with
 * `{"action":"auth","key","secret"}` (or the legacy `{"action":"authenticate","data":{key_id,secret_key}}`)
 * and listens with `{"action":"listen","data":{"streams":["trade_updates"]}}`. Only a listening
 * socket gets `{"stream":"trade_updates","data":{event, order, ...}}`. Every server message is
 * JSON in a binary frame, as the paper stream sends them. An unknown key, an empty secret or an
 * auth_fail fault gets `unauthorized` and a close; so does listening before authenticating.
 * Keep-alive is protocol pings, answered by the server (except during a stall). REST: alpaca-rest.ts.
 */
import { z } from 'zod';
import { tradeUpdate } from './alpaca-order.js';
import { alpacaRoutes } from './alpaca-rest.js';
import type { SimContext, StreamAction, StreamSession, WireFormat } from './wire.js';
import { parseMessage } from './wire.js';

/** Close code after a refused handshake: 1008 policy violation (RFC 6455). */
export const ALPACA_AUTH_CLOSE_CODE = 1008;

const AuthSchema = z.union([
  z.object({ action: z.literal('auth'), key: z.string(), secret: z.string() }),
  z
    .object({
      action: z.literal('authenticate'),
      data: z.object({ key_id: z.string(), secret_key: z.string() }),
    })
    .transform((m) => ({ action: 'auth' as const, key: m.data.key_id, secret: m.data.secret_key })),
]);
const ListenSchema = z.object({
  action: z.literal('listen'),
  data: z.object({ streams: z.array(z.string()) }),
});

/** JSON in a binary frame. */
const binary = (message: unknown): Buffer => Buffer.from(JSON.stringify(message));
const send = (message: unknown): StreamAction => ({ kind: 'send', frame: binary(message) });
const authorization = (action: string, status: string) =>
  send({ stream: 'authorization', data: { action, status } });
const refuse = (action: string): StreamAction[] => [
  authorization(action, 'unauthorized'),
  { kind: 'close', code: ALPACA_AUTH_CLOSE_CODE, reason: 'unauthorized' },
];

/** The handshake: auth, then listen. Anything else is ignored. */
function onMessage(ctx: SimContext, session: StreamSession, data: Buffer): StreamAction[] {
  const message = parseMessage(data);
  const auth = AuthSchema.safeParse(message);
  if (auth.success) {
    const { key, secret } = auth.data;
    if (!key || !secret || !ctx.engine.has(key) || ctx.faults.take(key, 'auth_fail')) {
      return refuse('authenticate');
    }
    return [
      { kind: 'join', account: key, listening: session.listening },
      authorization('authenticate', 'authorized'),
    ];
  }
  const listen = ListenSchema.safeParse(message);
  if (!listen.success) return [];
  if (session.account === null) return refuse('listen');
  const on = listen.data.data.streams.includes('trade_updates');
  return [
    { kind: 'listen', on },
    send({ stream: 'listening', data: { streams: on ? ['trade_updates'] : [] } }),
  ];
}

/** Four ways a frame goes wrong: not JSON, wrong types, an event without its order, no data. */
function malformed(_account: string, n: number): Buffer {
  switch (n % 4) {
    case 0:
      return Buffer.from('{"stream":"trade_updates","data":{"event":"fill","order":{"id":');
    case 1:
      return binary({
        stream: 'trade_updates',
        data: { event: 'new', order: { id: true, side: 'hold', qty: 'ten' } },
      });
    case 2:
      return binary({ stream: 'trade_updates', data: { event: 'fill' } });
    default:
      return binary({ stream: 'trade_updates' });
  }
}

/** The account's signed position in a symbol after every fill so far (Alpaca's `position_qty`). */
function position(ctx: SimContext, account: string, symbol: string): number {
  let qty = 0;
  for (const o of ctx.engine.book(account)) {
    if (o.tradingsymbol === symbol)
      qty += o.transaction_type === 'BUY' ? o.filled_quantity : -o.filled_quantity;
  }
  return qty;
}

/** The `alpaca` dialect of the simulator. */
export function createAlpacaFormat(ctx: SimContext): WireFormat {
  return {
    name: 'alpaca',
    routes: () => alpacaRoutes(ctx),
    upgrade: (url) => (url.pathname === '/stream' ? { kind: 'accept', account: null } : null),
    onMessage: (session, data) => onMessage(ctx, session, data),
    encode(account, order, change) {
      const data = tradeUpdate(account, order, change, () => position(ctx, account, order.tradingsymbol));
      return data === null ? null : binary({ stream: 'trade_updates', data });
    },
    malformed,
  };
}
