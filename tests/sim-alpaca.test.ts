/**
 * The simulator in the `alpaca` dialect over real sockets: the auth/listen handshake, binary
 * trade_updates that end where GET /v2/orders is, REST auth, paging, place/cancel/reject, faults;
 * and the gateway's `alpaca` adapter reading what the sim sends, paging included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DROP_CLOSE_CODE, type Sim, type SimOptions, startSim } from '../src/sim/index.js';
import { alpaca, alpacaCancelRequest, alpacaPlaceRequest } from '../src/upstream/dialects/alpaca.js';
import type { DialectAccount, UpstreamEvent } from '../src/upstream/dialects/types.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { openStream, request, type StreamClient, settle, until } from './helpers/sim-client.js';
import {
  alpacaCaughtUp,
  alpacaHeaders,
  alpacaStream,
  drain,
  lastBy,
  messages,
  restClient,
  send,
  tradeUpdates,
} from './helpers/sim-dialects.js';

const T0 = Date.parse('2024-12-02T14:30:00.000Z');
let sim: Sim | undefined;
let clients: StreamClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await sim?.close();
  sim = undefined;
});

async function start(opts: Partial<SimOptions> = {}): Promise<Sim> {
  sim = await startSim({ accounts: ['primary', 'hedge'], rate: 0, seed: 11, dialect: 'alpaca', ...opts });
  return sim;
}

async function stream(s: Sim, key = 'primary'): Promise<StreamClient> {
  const c = await alpacaStream(s, key);
  clients.push(c);
  return c;
}

async function raw(s: Sim): Promise<StreamClient> {
  const c = await openStream(`${s.wsUrl}/stream`);
  clients.push(c);
  return c;
}

type Order = Record<string, unknown>;
const limitOrder = (extra: Record<string, unknown> = {}) => ({
  symbol: 'AAPL',
  qty: '10',
  side: 'buy',
  type: 'limit',
  time_in_force: 'day',
  limit_price: '229.5',
  ...extra,
});
const post = (s: Sim, body: unknown, key = 'primary') =>
  request('POST', `${s.httpUrl}/v2/orders`, { headers: alpacaHeaders(key), json: body });
const list = async (s: Sim, query: string, key = 'primary') => {
  const res = await request('GET', `${s.httpUrl}/v2/orders?${query}`, { headers: alpacaHeaders(key) });
  expect(res.status).toBe(200);
  return res.body as unknown as Order[];
};
const authorization = (status: string, action = 'authenticate') => ({
  stream: 'authorization',
  data: { action, status },
});

describe('alpaca stream handshake', () => {
  it('authorizes, listens, and only then sends trade_updates, all in binary frames', async () => {
    const s = await start();
    const c = await raw(s);
    c.ws.send(JSON.stringify({ action: 'auth', key: 'primary', secret: 'anything' }));
    await until(() => messages(c).length === 1, 'authorization');
    expect(messages(c)).toEqual([authorization('authorized')]);
    await post(s, limitOrder({ client_order_id: 'before-listen' }));
    await settle(30);
    expect(tradeUpdates(c)).toEqual([]);
    c.ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await until(() => messages(c).length === 2, 'listening');
    expect(messages(c)[1]).toEqual({ stream: 'listening', data: { streams: ['trade_updates'] } });
    await post(s, limitOrder({ client_order_id: 'after-listen' }));
    await until(() => tradeUpdates(c).length === 1, 'a trade update');
    expect(tradeUpdates(c)[0]).toMatchObject({ event: 'new', order: { client_order_id: 'after-listen' } });
    expect(c.frames.every((f) => f.binary)).toBe(true);
  });

  it('accepts the legacy authenticate message', async () => {
    const s = await start();
    const c = await raw(s);
    c.ws.send(JSON.stringify({ action: 'authenticate', data: { key_id: 'hedge', secret_key: 's' } }));
    await until(() => messages(c).length === 1, 'authorization');
    expect(messages(c)).toEqual([authorization('authorized')]);
  });

  it.each([
    ['an unknown key', { action: 'auth', key: 'nobody', secret: 's' }],
    ['an empty secret', { action: 'auth', key: 'primary', secret: '' }],
  ])('answers %s with unauthorized and closes', async (_what, message) => {
    const s = await start();
    const c = await raw(s);
    c.ws.send(JSON.stringify(message));
    await until(() => c.closed !== null, 'the close');
    expect(messages(c)).toEqual([authorization('unauthorized')]);
    expect(c.closed?.code).toBe(1008);
  });

  it('refuses listen before auth, and auth while auth_fail lasts', async () => {
    const s = await start();
    const early = await raw(s);
    early.ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    await until(() => early.closed !== null, 'the close');
    expect(messages(early)).toEqual([authorization('unauthorized', 'listen')]);

    s.injectFault({ account_id: 'primary', kind: 'auth_fail', count: 1 });
    const refused = await raw(s);
    refused.ws.send(JSON.stringify({ action: 'auth', key: 'primary', secret: 's' }));
    await until(() => refused.closed !== null, 'the close');
    expect(messages(refused)).toEqual([authorization('unauthorized')]);
    await stream(s);
  });
});

describe('alpaca stream and book', () => {
  it('sends events whose last order per id equals GET /v2/orders, with per-fill qty and price', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 20 });
    const c = await stream(s);
    for (let t = 0; t < 3_000; t += 50) clock.advance(50);
    s.setRate(0);
    drain(s, clock);
    const book = s.book('primary');
    expect(book.length).toBeGreaterThan(30);
    const lastOf = () => lastBy(tradeUpdates(c), (u) => (u.order as Order).id as string);
    await until(() => alpacaCaughtUp(c, 'primary', book), 'the stream to reach the book');
    const rest = await list(s, 'status=all&limit=500&direction=asc');
    expect([...lastOf().values()].map((u) => u.order)).toEqual(rest);

    const updates = tradeUpdates(c);
    const events = new Set(updates.map((u) => u.event));
    for (const e of ['new', 'partial_fill', 'fill', 'canceled', 'rejected']) expect(events).toContain(e);
    for (const o of rest) {
      const fills = updates.filter(
        (u) => (u.order as Order).id === o.id && (u.event === 'fill' || u.event === 'partial_fill'),
      );
      const qty = fills.reduce((n, u) => n + Number(u.qty), 0);
      expect(qty).toBe(Number(o.filled_qty));
      if (qty === 0) continue;
      const value = fills.reduce((n, u) => n + Number(u.qty) * Number(u.price), 0);
      expect(Number(o.filled_avg_price)).toBeCloseTo(value / qty, 2);
    }
    for (const [symbol, u] of lastBy(
      updates.filter((x) => x.position_qty !== undefined),
      (x) => (x.order as Order).symbol as string,
    )) {
      const position = rest
        .filter((o) => o.symbol === symbol)
        .reduce((n, o) => n + (o.side === 'buy' ? 1 : -1) * Number(o.filled_qty), 0);
      expect(Number(u.position_qty)).toBe(position);
    }
    expect(rest.every((o) => /^[A-Z]+$/.test(o.symbol as string) && o.asset_class === 'us_equity')).toBe(
      true,
    );
    expect(rest[0]?.submitted_at).toMatch(/^2024-12-02T14:30:\d\d\.\d{9}Z$/);
  });

  it('answers protocol pings, except during a stall, when nothing is sent', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const c = await stream(s);
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    c.ws.ping();
    await until(() => pongs === 1, 'a pong');
    s.injectFault({ account_id: 'primary', kind: 'stall', duration_ms: 1_000 });
    c.ws.ping();
    await post(s, limitOrder({ client_order_id: 'lost' }));
    await settle(80);
    expect([pongs, tradeUpdates(c).length]).toEqual([1, 0]);
    clock.advance(1_000);
    c.ws.ping();
    await post(s, limitOrder({ client_order_id: 'seen' }));
    await until(() => pongs === 2 && tradeUpdates(c).length === 1, 'pong and update after the stall');
  });
});

describe('alpaca REST', () => {
  it('wants both key headers of a known key', async () => {
    const s = await start();
    const url = `${s.httpUrl}/v2/orders`;
    const denied = { status: 401, body: { code: 40110000, message: 'request is not authorized' } };
    expect(await request('GET', url)).toEqual(denied);
    expect(await request('GET', url, { headers: alpacaHeaders('nobody') })).toEqual(denied);
    expect(await request('GET', url, { headers: { 'APCA-API-KEY-ID': 'primary' } })).toEqual(denied);
    s.injectFault({ account_id: 'primary', kind: 'auth_fail', duration_ms: 60_000 });
    expect(await request('GET', url, { headers: alpacaHeaders('primary') })).toEqual(denied);
    expect(await request('GET', url, { headers: alpacaHeaders('hedge') })).toEqual({ status: 200, body: [] });
  });

  it('pages: 120 orders at limit 50 are 50, 50 and 20, `after` exclusive', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      if (i % 10 === 0) clock.advance(1);
      ids.push((await post(s, limitOrder({ client_order_id: `p-${i}` }))).body.id as string);
    }
    const pages: Order[][] = [];
    let after = '2024-12-01T00:00:00Z';
    for (let p = 0; p < 4; p++) {
      const page = await list(s, `status=all&limit=50&direction=asc&after=${encodeURIComponent(after)}`);
      pages.push(page);
      if (page.length < 50) break;
      after = page[page.length - 1]?.submitted_at as string;
    }
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(pages.flat().map((o) => o.id)).toEqual(ids);
    expect((await list(s, '')).map((o) => o.id)).toEqual(ids.slice(-50).reverse());
    const first = pages[0]?.[0]?.submitted_at as string;
    expect((await list(s, `limit=500&after=${first}`)).length).toBe(119);
    expect((await list(s, `limit=500&until=${pages[1]?.[0]?.submitted_at}`)).length).toBe(50);
    expect((await list(s, 'limit=500&symbols=MSFT,TSLA')).length).toBe(0);

    for (const id of ids.slice(0, 10)) {
      await request('DELETE', `${s.httpUrl}/v2/orders/${id}`, { headers: alpacaHeaders('primary') });
    }
    expect((await list(s, 'limit=500')).length).toBe(110);
    expect((await list(s, 'status=closed&limit=500')).map((o) => o.status)).toEqual(
      Array(10).fill('canceled'),
    );
    const bad = await request('GET', `${s.httpUrl}/v2/orders?limit=0`, { headers: alpacaHeaders('primary') });
    expect(bad).toMatchObject({ status: 422, body: { code: 40010001 } });
  });

  it('places, finds by id and client id, cancels (204), refuses a second cancel (422)', async () => {
    const s = await start();
    const placed = await post(s, limitOrder({ client_order_id: 'mine-1' }));
    expect(placed).toMatchObject({
      status: 200,
      body: { status: 'new', client_order_id: 'mine-1', qty: '10', limit_price: '229.5', type: 'limit' },
    });
    const id = placed.body.id as string;
    const get = (path: string, key = 'primary') =>
      request('GET', `${s.httpUrl}/v2/${path}`, { headers: alpacaHeaders(key) });
    expect((await get(`orders/${id}`)).body).toEqual(placed.body);
    expect((await get('orders:by_client_order_id?client_order_id=mine-1')).body).toEqual(placed.body);
    expect(await get('orders:by_client_order_id?client_order_id=other')).toMatchObject({ status: 404 });
    expect(await get(`orders/${id}`, 'hedge')).toMatchObject({ status: 404, body: { code: 40410000 } });
    expect(await post(s, limitOrder({ client_order_id: 'mine-1' }))).toEqual({
      status: 422,
      body: { code: 40010001, message: 'client_order_id must be unique' },
    });

    const del = () =>
      request('DELETE', `${s.httpUrl}/v2/orders/${id}`, { headers: alpacaHeaders('primary') });
    expect(await del()).toEqual({ status: 204, body: {} });
    expect(await del()).toEqual({
      status: 422,
      body: { code: 42210000, message: 'order is not cancelable' },
    });
    expect((await get(`orders/${id}`)).body).toMatchObject({
      status: 'canceled',
      canceled_at: expect.any(String),
    });
    const unknown = await request('DELETE', `${s.httpUrl}/v2/orders/00000000-0000-0000-0000-000000000000`, {
      headers: alpacaHeaders('primary'),
    });
    expect(unknown.status).toBe(404);
  });

  it('answers what it cannot take with 422 and creates nothing', async () => {
    const s = await start();
    for (const body of [
      limitOrder({ qty: '1.5' }),
      limitOrder({ limit_price: undefined }),
      limitOrder({ limit_price: '229.555' }),
      limitOrder({ time_in_force: 'gtc' }),
      limitOrder({ type: 'trailing_stop' }),
      { ...limitOrder(), qty: undefined, notional: '100' },
      'not json',
    ]) {
      expect(await post(s, body)).toMatchObject({ status: 422, body: { code: 40010001 } });
    }
    expect(s.book('primary')).toEqual([]);
    expect((await post(s, limitOrder({ type: 'stop_limit', stop_price: 230 }))).status).toBe(200);
  });

  it('reject_next: 403 insufficient buying power, no order in the book nor on the stream', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'reject_next' });
    expect(await post(s, limitOrder())).toEqual({
      status: 403,
      body: { code: 40310000, message: 'insufficient buying power' },
    });
    expect(s.book('primary')).toEqual([]);
    expect((await post(s, limitOrder())).status).toBe(200);
    await until(() => tradeUpdates(c).length === 1, 'the accepted order');
    expect(tradeUpdates(c)[0]?.event).toBe('new');
  });
});

describe('alpaca faults', () => {
  it('drop closes authenticated sockets with 1012', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'drop' });
    await until(() => c.closed !== null, 'the drop');
    expect(c.closed?.code).toBe(DROP_CLOSE_CODE);
  });

  it('malformed binary frames come first; fill_on_place sends new then fill', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'malformed', count: 4 });
    s.injectFault({ account_id: 'primary', kind: 'fill_on_place' });
    await post(s, limitOrder());
    await until(() => c.frames.length === 2 + 4 + 2, 'handshake, malformed and two updates');
    expect(tradeUpdates(c).map((u) => [u.event, u.qty, u.price])).toEqual([
      ['new', undefined, undefined],
      ['fill', '10', '229.5'],
    ]);
    expect(c.frames.every((f) => f.binary)).toBe(true);
  });
});

describe('the gateway alpaca adapter against the sim', () => {
  const account = (s: Sim, key = 'primary'): DialectAccount => ({
    id: key,
    wsUrl: s.streamUrl,
    restUrl: s.httpUrl,
    credentials: { key_id: key, secret_key: 'sec' },
    timeZone: 'UTC',
  });
  const ctx = { accountId: 'primary', timeZone: 'UTC', receivedAt: '2024-12-02T15:00:00.000Z' };

  /** Runs the adapter's own handshake over a real socket; resolves with what it parsed. */
  async function adapterStream(s: Sim): Promise<{ c: StreamClient; events: UpstreamEvent[] }> {
    const { url } = alpaca.connectRequest(account(s));
    const c = await openStream(url);
    clients.push(c);
    const events: UpstreamEvent[] = [];
    let seen = 0;
    const pump = () => {
      for (; seen < c.frames.length; seen++) {
        const f = c.frames[seen];
        if (!f) continue;
        for (const e of alpaca.parse(f.data, f.binary, ctx)) {
          events.push(e);
          if (e.kind === 'reply') c.ws.send(e.text);
        }
      }
    };
    c.ws.on('message', () => setImmediate(pump));
    expect(alpaca.onOpen(account(s), (text) => c.ws.send(text))).toBe(false);
    await until(() => events.some((e) => e.kind === 'control' && e.ready), 'the adapter to be live');
    return { c, events };
  }

  it('handshakes, reads every frame without an invalid event, and places/cancels with its requests', async () => {
    const s = await start();
    const { events } = await adapterStream(s);
    const leg = {
      tradingsymbol: 'MSFT',
      exchange: 'NASDAQ',
      transaction_type: 'SELL' as const,
      quantity: 3,
      order_type: 'SL' as const,
      product: 'CNC' as const,
      price: 414.5,
      trigger_price: 415,
      tag: 'adapter-leg-1',
    };
    const placed = await send(alpacaPlaceRequest(account(s), leg));
    expect(placed).toMatchObject({
      status: 200,
      body: { type: 'stop_limit', client_order_id: 'adapter-leg-1' },
    });
    expect(await send(alpacaCancelRequest(account(s), placed.body.id as string))).toEqual({
      status: 204,
      body: {},
    });
    await until(() => events.filter((e) => e.kind === 'update').length === 2, 'two updates');
    expect(events.filter((e) => e.kind === 'invalid')).toEqual([]);
    const statuses = events.flatMap((e) => (e.kind === 'update' ? [e.order.status] : []));
    expect(statuses).toEqual(['open', 'cancelled']);
  });

  it('pages a snapshot of over 500 orders to exactly the book', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    s.setRate(1_500);
    clock.advance(1_500); // about one order a millisecond (gaps are at least 1 ms)
    s.setRate(0);
    drain(s, clock);
    const book = s.book('primary');
    expect(book.length).toBeGreaterThan(1_000);
    const http = restClient();
    try {
      const snapshot = await alpaca.fetchSnapshot(http.rest, account(s), ctx);
      expect(http.calls()).toBeGreaterThanOrEqual(3);
      const rest = await list(s, 'status=all&limit=500&direction=asc');
      expect(snapshot.length).toBe(book.length);
      expect(new Set(snapshot.map((o) => o.order_id)).size).toBe(book.length);
      expect(snapshot.slice(0, 500).map((o) => o.order_id)).toEqual(rest.map((o) => o.id));
      const words = { COMPLETE: 'filled', CANCELLED: 'cancelled', REJECTED: 'rejected' } as const;
      const byStatus = new Map<string, number>();
      for (const o of snapshot) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
      for (const [engine, normalized] of Object.entries(words)) {
        expect(byStatus.get(normalized)).toBe(book.filter((o) => o.status === engine).length);
      }
    } finally {
      await http.close();
    }
  });

  it('reads malformed frames as invalid', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'malformed', count: 4 });
    await post(s, limitOrder());
    await until(() => c.frames.length === 2 + 4 + 1, 'the frames');
    const kinds = c.frames.slice(2).map((f) => alpaca.parse(f.data, f.binary, ctx).map((e) => e.kind));
    expect(kinds).toEqual([['invalid'], ['invalid'], ['invalid'], ['invalid'], ['update']]);
  });
});
