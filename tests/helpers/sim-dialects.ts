/**
 * Helpers for the kite and alpaca simulator tests: auth headers, the Alpaca handshake, frames
 * decoded, and what the gateway's dialect adapters need (a normalize context, a REST client).
 */
import { Agent } from 'undici';
import { expect } from 'vitest';
import { alpacaId, type Sim, type SimOrder } from '../../src/sim/index.js';
import { createRestClient, type RestClient } from '../../src/upstream/rest.js';
import type { FakeClock } from './fake-clock.js';
import { openStream, type StreamClient, until } from './sim-client.js';

/** Kite's REST auth: the account id is the api_key, any access token goes. */
export const kiteHeaders = (account: string, token = 'tok'): Record<string, string> => ({
  'X-Kite-Version': '3',
  Authorization: `token ${account}:${token}`,
});

/** Alpaca's REST auth: the account id is the key id, any secret goes. */
export const alpacaHeaders = (key: string, secret = 'sec'): Record<string, string> => ({
  'APCA-API-KEY-ID': key,
  'APCA-API-SECRET-KEY': secret,
});

/** A frame's bytes as JSON, or undefined when they are not JSON. */
export function json(frame: { data: Buffer }): Record<string, unknown> | undefined {
  try {
    return JSON.parse(frame.data.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Every JSON message of a client (text or binary), in order. */
export const messages = (c: StreamClient): Record<string, unknown>[] =>
  c.frames.flatMap((f) => {
    const m = json(f);
    return m ? [m] : [];
  });

/** The `data` of a client's well-formed trade_updates messages. */
export function tradeUpdates(c: StreamClient): Record<string, unknown>[] {
  return messages(c)
    .filter((m) => m.stream === 'trade_updates' && typeof m.data === 'object' && m.data !== null)
    .map((m) => m.data as Record<string, unknown>)
    .filter((d) => typeof (d.order as { id?: unknown } | undefined)?.id === 'string');
}

/** The order payloads of a client's well-formed Kite order frames. */
export function kiteOrders(c: StreamClient): Record<string, unknown>[] {
  return messages(c)
    .filter((m) => m.type === 'order' && typeof (m.data as { order_id?: unknown })?.order_id === 'string')
    .map((m) => m.data as Record<string, unknown>);
}

/** Opens the Alpaca stream, authenticates and listens to trade_updates. */
export async function alpacaStream(s: Sim, key = 'primary'): Promise<StreamClient> {
  const c = await openStream(`${s.wsUrl}/stream`);
  c.ws.send(JSON.stringify({ action: 'auth', key, secret: 'sec' }));
  await until(() => messages(c).some((m) => m.stream === 'authorization'), 'authorization');
  c.ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
  await until(() => messages(c).some((m) => m.stream === 'listening'), 'listening');
  return c;
}

/** Advances the fake clock until the sim has no lifecycle left. */
export function drain(s: Sim, clock: FakeClock): void {
  for (let i = 0; i < 2_000 && !s.idle(); i++) clock.advance(100);
  expect(s.idle()).toBe(true);
}

/** The last element per key, in first-seen order. */
export function lastBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const t of items) m.set(key(t), t);
  return m;
}

/**
 * True once the client's last Kite frame of every order of the (drained, all terminal) book
 * carries the book's status: the stream has caught up.
 */
export function kiteCaughtUp(c: StreamClient, book: readonly SimOrder[]): boolean {
  const last = lastBy(kiteOrders(c), (o) => o.order_id as string);
  return book.every((o) => last.get(o.order_id)?.status === o.status);
}

/** The same for the Alpaca stream: the last event of every order has the order's final status. */
export function alpacaCaughtUp(c: StreamClient, account: string, book: readonly SimOrder[]): boolean {
  const words: Record<string, string> = { COMPLETE: 'filled', CANCELLED: 'canceled', REJECTED: 'rejected' };
  const last = lastBy(tradeUpdates(c), (u) => (u.order as { id: string }).id);
  return book.every((o) => {
    const order = last.get(alpacaId(account, o.order_id))?.order as { status?: string } | undefined;
    return order?.status === words[o.status];
  });
}

/** A gateway RestClient over its own dispatcher, and its cleanup; `calls` counts requests. */
export function restClient(): { rest: RestClient; calls: () => number; close: () => Promise<void> } {
  const dispatcher = new Agent();
  const inner = createRestClient({ dispatcher, timeoutMs: 5_000 });
  let n = 0;
  return {
    rest: {
      call: (...args) => {
        n++;
        return inner.call(...args);
      },
    },
    calls: () => n,
    close: () => dispatcher.close(),
  };
}

/** Sends a request a dialect adapter prepared (kitePlaceRequest, alpacaCancelRequest...). */
export async function send(req: {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}) {
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}
