/**
 * The `kite` wire format: Zerodha Kite Connect v3's WebSocket (https://kite.trade/docs/connect/v3/websocket/)
 * at `/` (or `/ws`) with `?api_key=&access_token=`. A missing or unknown key, or an auth_fail
 * fault, refuses the upgrade with 403, as Kite does for a bad token. Order updates are text frames
 * `{"type":"order","data":{...postback...}}`; the server sends a 1-byte binary heartbeat every
 * second and, every fifth second, a binary market-data packet the order gateway must skip. Client
 * messages (market-data subscriptions) get no answer. REST is in kite-rest.ts.
 */
import { instruments } from './catalog.js';
import { recordKiteHistory } from './kite-history.js';
import { instrumentToken, toKitePostback } from './kite-order.js';
import { kiteRoutes } from './kite-rest.js';
import { toPaise } from './order.js';
import type { Frame, SimContext, Upgrade, WireFormat } from './wire.js';

const HEARTBEAT = Buffer.from([0]);
const MARKET_DATA_EVERY = 5;
const streamPaths = new Set(['/', '/ws', '/ws/']);

/**
 * A binary message in Kite's format (websocket docs, "Message structure"): a 2-byte packet count,
 * then per packet a 2-byte length and the packet; an LTP packet is the 4-byte instrument token
 * and the 4-byte last price in paise, all big-endian.
 */
export function ltpMessage(token: number, paise: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(8, 2);
  b.writeUInt32BE(token, 4);
  b.writeInt32BE(paise, 8);
  return b;
}

function upgrade(ctx: SimContext, url: URL): Upgrade | null {
  if (!streamPaths.has(url.pathname)) return null;
  const key = url.searchParams.get('api_key') ?? '';
  const token = url.searchParams.get('access_token') ?? '';
  const refused: Upgrade = {
    kind: 'refuse',
    status: 403,
    body: {
      status: 'error',
      message: 'Incorrect `api_key` or `access_token`.',
      error_type: 'TokenException',
    },
  };
  if (!key || !token || !ctx.engine.has(key)) return refused;
  if (ctx.faults.take(key, 'auth_fail')) return refused;
  return { kind: 'accept', account: key };
}

/** Four ways a frame goes wrong: not JSON, wrong types, no order at all, a truncated binary packet. */
function malformed(_account: string, n: number): Frame {
  switch (n % 4) {
    case 0:
      return '{"type":"order","data":{"order_id":"';
    case 1:
      return JSON.stringify({
        type: 'order',
        data: { order_id: true, tradingsymbol: 42, transaction_type: 'HOLD', status: null },
      });
    case 2:
      return JSON.stringify({ type: 'order' });
    default:
      return Buffer.from([0, 5, 0]);
  }
}

/** Heartbeat, and now and then a quote of a catalog instrument. */
function heartbeatFrames(tick: number): Frame[] {
  if (tick % MARKET_DATA_EVERY !== 0) return [HEARTBEAT];
  const inst = instruments[(tick / MARKET_DATA_EVERY) % instruments.length] ?? instruments[0];
  if (!inst) return [HEARTBEAT];
  return [HEARTBEAT, ltpMessage(instrumentToken(inst.tradingsymbol), toPaise(inst.price))];
}

/** The `kite` dialect of the simulator. */
export function createKiteFormat(ctx: SimContext): WireFormat {
  const history = recordKiteHistory(ctx.engine);
  return {
    name: 'kite',
    routes: () => kiteRoutes(ctx, history),
    upgrade: (url) => upgrade(ctx, url),
    onMessage: () => [],
    encode: (account, order, change) =>
      JSON.stringify({ type: 'order', data: toKitePostback(account, order, change) }),
    malformed,
    heartbeat: { everyMs: 1_000, frames: heartbeatFrames },
  };
}
