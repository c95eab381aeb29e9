/**
 * The simulator in the `kite` dialect over real sockets: the 403 upgrade, postback frames that
 * end where GET /orders is, binary heartbeats and market data, REST auth, place/cancel/history,
 * faults; and the gateway's `kite` adapter reading what the sim sends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KiteOrderSchema } from '../src/orders/kite-vocabulary.js';
import { DROP_CLOSE_CODE, type Sim, type SimOptions, startSim } from '../src/sim/index.js';
import { kite, kiteCancelRequest, kitePlaceRequest } from '../src/upstream/dialects/kite.js';
import type { DialectAccount } from '../src/upstream/dialects/types.js';
import { createFakeClock } from './helpers/fake-clock.js';
import {
  openStream,
  request,
  type StreamClient,
  settle,
  until,
  upgradeStatus,
} from './helpers/sim-client.js';
import {
  drain,
  kiteCaughtUp,
  kiteHeaders,
  kiteOrders,
  lastBy,
  restClient,
  send,
} from './helpers/sim-dialects.js';

const T0 = Date.parse('2024-12-02T03:45:00.000Z'); // 09:15:00 in Kolkata
let sim: Sim | undefined;
let clients: StreamClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await sim?.close();
  sim = undefined;
});

async function start(opts: Partial<SimOptions> = {}): Promise<Sim> {
  sim = await startSim({ accounts: ['primary', 'hedge'], rate: 0, seed: 7, dialect: 'kite', ...opts });
  return sim;
}

const streamUrl = (s: Sim, key = 'primary', token = 'tok') =>
  `${s.wsUrl}/?api_key=${encodeURIComponent(key)}&access_token=${encodeURIComponent(token)}`;

async function stream(s: Sim, key = 'primary'): Promise<StreamClient> {
  const c = await openStream(streamUrl(s, key));
  clients.push(c);
  return c;
}

const limitForm = (tag?: string) => ({
  tradingsymbol: 'INFY',
  exchange: 'NSE',
  transaction_type: 'BUY',
  quantity: 10,
  order_type: 'LIMIT',
  product: 'CNC',
  price: 1850.5,
  validity: 'DAY',
  ...(tag ? { tag } : {}),
});

const place = (s: Sim, form: Record<string, string | number>, account = 'primary') =>
  request('POST', `${s.httpUrl}/orders/regular`, { headers: kiteHeaders(account), form });
const orders = async (s: Sim, account = 'primary') =>
  (await request('GET', `${s.httpUrl}/orders`, { headers: kiteHeaders(account) })).body.data as Record<
    string,
    unknown
  >[];

/** A postback without the postback-only fields, to compare with a GET /orders entry. */
function asBookEntry(p: Record<string, unknown>): Record<string, unknown> {
  const { user_id: _u, unfilled_quantity: _q, app_id: _a, checksum: _c, ...rest } = p;
  return rest;
}
function withoutBookOnly(o: Record<string, unknown>): Record<string, unknown> {
  const { modified: _m, validity_ttl: _v, tags: _t, ...rest } = o;
  return rest;
}
const istOf = (iso: string) =>
  new Date(Date.parse(iso) + 330 * 60_000).toISOString().slice(0, 19).replace('T', ' ');

describe('kite stream handshake', () => {
  it('upgrades with a known api_key and any token, at / and /ws; 403 otherwise', async () => {
    const s = await start();
    expect(await upgradeStatus(streamUrl(s))).toBe(101);
    expect(await upgradeStatus(`${s.wsUrl}/ws?api_key=hedge&access_token=x`)).toBe(101);
    expect(await upgradeStatus(streamUrl(s, 'nobody'))).toBe(403);
    expect(await upgradeStatus(streamUrl(s, 'primary', ''))).toBe(403);
    expect(await upgradeStatus(`${s.wsUrl}/`)).toBe(403);
    expect(await upgradeStatus(`${s.wsUrl}/advanced/ws/orders/primary`)).toBe(404);
  });

  it('refuses with 403 while auth_fail lasts, and REST says TokenException meanwhile', async () => {
    const s = await start();
    s.injectFault({ account_id: 'primary', kind: 'auth_fail', count: 1 });
    const during = await request('GET', `${s.httpUrl}/orders`, { headers: kiteHeaders('primary') });
    expect(during).toEqual({
      status: 403,
      body: {
        status: 'error',
        message: 'Incorrect `api_key` or `access_token`.',
        error_type: 'TokenException',
      },
    });
    expect(await upgradeStatus(streamUrl(s))).toBe(403);
    expect(await upgradeStatus(streamUrl(s))).toBe(101);
    expect((await request('GET', `${s.httpUrl}/orders`, { headers: kiteHeaders('primary') })).status).toBe(
      200,
    );
  });
});

describe('kite stream and book', () => {
  it('sends postbacks whose last per order equals GET /orders; UPDATE only on the stream', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 20 });
    const c = await stream(s);
    let midRun: Record<string, unknown>[] = [];
    for (let t = 0; t < 3_000; t += 50) {
      clock.advance(50);
      if (t === 1_500) midRun = await orders(s);
    }
    s.setRate(0);
    drain(s, clock);
    const book = s.book('primary');
    expect(book.length).toBeGreaterThan(30);
    await until(() => kiteCaughtUp(c, book), 'the stream to reach the book');
    const frames = kiteOrders(c);
    const rest = await orders(s);
    const last = lastBy(frames, (o) => o.order_id as string);
    expect([...last.values()].map(asBookEntry)).toEqual(rest.map(withoutBookOnly));

    for (const f of frames) {
      expect(KiteOrderSchema.safeParse(f).success).toBe(true);
      expect(f).toMatchObject({ checksum: '', user_id: 'primary', placed_by: 'primary' });
      expect(f.order_timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    }
    const updates = frames.filter((f) => f.status === 'UPDATE');
    expect(updates.length).toBeGreaterThan(0);
    for (const u of updates) expect(u.pending_quantity as number).toBeGreaterThan(0);
    expect([...rest, ...midRun].some((o) => o.status === 'UPDATE')).toBe(false);
    expect(midRun.some((o) => o.status === 'OPEN' && (o.filled_quantity as number) > 0)).toBe(true);

    // Exchange local time, whole seconds; CANCELLED keeps pending_quantity; REJECTED has no exchange times.
    book.forEach((o, i) => {
      expect(rest[i]?.order_timestamp).toBe(istOf(o.order_timestamp));
    });
    expect(String(rest[0]?.order_timestamp)).toMatch(/^2024-12-02 09:15:0\d$/);
    const cancelled = rest.find((o) => o.status === 'CANCELLED');
    expect(cancelled?.pending_quantity).toBe(cancelled?.cancelled_quantity);
    expect(cancelled?.status_message).toBeNull();
    const rejected = rest.find((o) => o.status === 'REJECTED');
    expect(rejected).toMatchObject({
      exchange_timestamp: null,
      exchange_update_timestamp: null,
      pending_quantity: 0,
    });
    expect(rejected?.status_message).toEqual(expect.any(String));
  });

  it('stamps two changes in one second alike, as Kite does (fill_on_place)', async () => {
    const clock = createFakeClock(T0 + 400);
    const s = await start({ clock });
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'fill_on_place' });
    const res = await place(s, limitForm('fop'));
    expect(res).toMatchObject({
      status: 200,
      body: { status: 'success', data: { order_id: expect.any(String) } },
    });
    await until(() => kiteOrders(c).length === 2, 'placement and fill');
    const [open, done] = kiteOrders(c);
    expect([open?.status, done?.status]).toEqual(['OPEN', 'COMPLETE']);
    expect(open?.exchange_update_timestamp).toBe('2024-12-02 09:15:00');
    expect(done?.exchange_update_timestamp).toBe('2024-12-02 09:15:00');
    expect(done).toMatchObject({
      filled_quantity: 10,
      pending_quantity: 0,
      unfilled_quantity: 0,
      average_price: 1850.5,
    });
  });
});

describe('kite binary frames', () => {
  it('sends a 1-byte heartbeat every second and a market-data packet every fifth', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const c = await stream(s);
    for (let i = 0; i < 5; i++) clock.advance(1_000);
    await until(() => c.frames.length === 6, 'five heartbeats and one quote');
    expect(c.frames.every((f) => f.binary)).toBe(true);
    expect(c.frames.filter((f) => f.data.length === 1)).toHaveLength(5);
    const quote = c.frames.find((f) => f.data.length > 1)?.data;
    expect(quote?.length).toBe(12);
    expect([quote?.readUInt16BE(0), quote?.readUInt16BE(2)]).toEqual([1, 8]);
    expect(c.texts).toEqual([]);
  });
});

describe('kite REST', () => {
  it('wants the token header and the version header', async () => {
    const s = await start();
    const url = `${s.httpUrl}/orders`;
    const token = { status: 403, body: expect.objectContaining({ error_type: 'TokenException' }) };
    expect(await request('GET', url)).toMatchObject(token);
    expect(await request('GET', url, { headers: kiteHeaders('nobody') })).toMatchObject(token);
    expect(
      await request('GET', url, { headers: { ...kiteHeaders('primary'), Authorization: 'token primary' } }),
    ).toMatchObject(token);
    const noVersion = await request('GET', url, { headers: { Authorization: 'token primary:t' } });
    expect(noVersion).toMatchObject({ status: 400, body: { error_type: 'InputException' } });
    expect(await request('GET', url, { headers: kiteHeaders('primary') })).toEqual({
      status: 200,
      body: { status: 'success', data: [] },
    });
  });

  it('places (form), cancels, refuses a second cancel, and keeps the history', async () => {
    const s = await start();
    const c = await stream(s);
    const placed = await place(s, limitForm('leg1'));
    const id = (placed.body.data as { order_id: string }).order_id;
    const del = (orderId: string) =>
      request('DELETE', `${s.httpUrl}/orders/regular/${orderId}`, { headers: kiteHeaders('primary') });
    expect(await del(id)).toEqual({ status: 200, body: { status: 'success', data: { order_id: id } } });
    expect(await del(id)).toEqual({
      status: 400,
      body: {
        status: 'error',
        message: 'Order cannot be cancelled as it is being processed. Try later.',
        error_type: 'InputException',
      },
    });
    expect(await del('999')).toMatchObject({ status: 404, body: { error_type: 'GeneralException' } });
    const history = await request('GET', `${s.httpUrl}/orders/${id}`, { headers: kiteHeaders('primary') });
    expect((history.body.data as { status: string }[]).map((h) => h.status)).toEqual([
      'PUT ORDER REQ RECEIVED',
      'VALIDATION PENDING',
      'OPEN PENDING',
      'OPEN',
      'CANCELLED',
    ]);
    expect(
      (await request('GET', `${s.httpUrl}/orders/${id}`, { headers: kiteHeaders('hedge') })).status,
    ).toBe(404);
    await until(() => kiteOrders(c).length === 2, 'two frames');
    expect(kiteOrders(c).map((o) => [o.tag, o.status])).toEqual([
      ['leg1', 'OPEN'],
      ['leg1', 'CANCELLED'],
    ]);
  });

  it('answers bad input with 400 InputException (tags over 20 characters too)', async () => {
    const s = await start();
    const bad = async (form: Record<string, string | number>) => (await place(s, form)).body;
    const input = expect.objectContaining({ status: 'error', error_type: 'InputException' });
    expect(await bad({ ...limitForm(), price: 0 })).toEqual(input);
    expect(await bad({ ...limitForm(), quantity: '1.5' })).toEqual(input);
    expect(await bad({ ...limitForm('x'.repeat(21)) })).toEqual(input);
    expect(await bad({ ...limitForm(), validity: 'IOC' })).toEqual(input);
    const amo = await request('POST', `${s.httpUrl}/orders/amo`, {
      headers: kiteHeaders('primary'),
      form: limitForm(),
    });
    expect(amo.status).toBe(400);
    expect(s.book('primary')).toEqual([]);
    expect((await place(s, limitForm('x'.repeat(20)))).status).toBe(200);
  });

  it('reject_next: 200 with an order_id, then the order is REJECTED in the book and on the stream', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'reject_next' });
    const res = await place(s, limitForm('r'));
    expect(res.status).toBe(200);
    const id = (res.body.data as { order_id: string }).order_id;
    expect(s.book('primary')[0]).toMatchObject({ order_id: id, status: 'REJECTED' });
    await until(() => kiteOrders(c).length === 1, 'the rejection');
    expect(kiteOrders(c)[0]).toMatchObject({
      order_id: id,
      status: 'REJECTED',
      status_message: expect.any(String),
    });
  });
});

describe('kite faults', () => {
  it('drop closes the account sockets with 1012', async () => {
    const s = await start();
    const [a, other] = [await stream(s), await stream(s, 'hedge')];
    s.injectFault({ account_id: 'primary', kind: 'drop' });
    await until(() => a.closed !== null, 'the drop');
    expect(a.closed?.code).toBe(DROP_CLOSE_CODE);
    await settle(30);
    expect(other.closed).toBeNull();
  });

  it('stall: no frames, no heartbeats, no pong until it ends', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const c = await stream(s);
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    s.injectFault({ account_id: 'primary', kind: 'stall', duration_ms: 3_000 });
    c.ws.ping();
    await place(s, limitForm('lost'));
    clock.advance(2_000);
    await settle(80);
    expect([c.frames.length, pongs]).toEqual([0, 0]);
    clock.advance(1_000);
    c.ws.ping();
    await place(s, limitForm('after'));
    await until(() => pongs === 1 && kiteOrders(c).length === 1, 'pong and a frame after the stall');
    expect(kiteOrders(c)[0]).toMatchObject({ tag: 'after' });
  });

  it('malformed frames come before the real ones', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'malformed', count: 4 });
    await place(s, limitForm('m'));
    await until(() => c.frames.length === 5, 'four malformed and one real frame');
    expect(c.frames.map((f) => f.binary)).toEqual([false, false, false, true, false]);
    expect(kiteOrders(c)).toHaveLength(1);
  });

  it('rest_latency delays a Kite answer on the clock', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    s.injectFault({ account_id: 'primary', kind: 'rest_latency', latency_ms: 2_000 });
    let done = false;
    const slow = orders(s).then(() => {
      done = true;
    });
    await settle(50);
    expect(done).toBe(false);
    clock.advance(2_000);
    await slow;
  });
});

describe('the gateway kite adapter against the sim', () => {
  const ctx = { accountId: 'primary', timeZone: 'Asia/Kolkata', receivedAt: '2024-12-02T06:00:00.000Z' };
  const account = (s: Sim, key = 'primary'): DialectAccount => ({
    id: key,
    wsUrl: s.wsUrl,
    restUrl: s.httpUrl,
    credentials: { api_key: key, access_token: 'tok' },
    timeZone: 'Asia/Kolkata',
  });

  it('connects, reads every frame without an invalid event, and its snapshot matches the stream', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 20 });
    const { url, headers } = kite.connectRequest(account(s));
    expect(await upgradeStatus(url)).toBe(101);
    expect(await upgradeStatus(kite.connectRequest(account(s, 'nobody')).url)).toBe(403);
    expect(headers['X-Kite-Version']).toBe('3');
    const c = await openStream(url);
    clients.push(c);
    for (let t = 0; t < 3_000; t += 50) clock.advance(50);
    s.setRate(0);
    drain(s, clock);
    await until(() => kiteCaughtUp(c, s.book('primary')), 'the stream to reach the book');

    const events = c.frames.flatMap((f) => kite.parse(f.data, f.binary, ctx));
    expect(events.filter((e) => e.kind === 'invalid')).toEqual([]);
    expect(events.some((e) => e.kind === 'heartbeat')).toBe(true);
    const updates = events.flatMap((e) => (e.kind === 'update' ? [e.order] : []));
    expect(updates).toHaveLength(kiteOrders(c).length);

    const http = restClient();
    try {
      const snapshot = await kite.fetchSnapshot(http.rest, account(s), ctx);
      expect(snapshot).toEqual([...lastBy(updates, (o) => o.order_id).values()]);
      const first = s.book('primary')[0];
      expect(snapshot[0]?.updated_at.slice(0, 19)).toBe(first?.exchange_update_timestamp.slice(0, 19));
    } finally {
      await http.close();
    }
  });

  it('mid-run, stream and snapshot normalize alike but for broker_status UPDATE vs OPEN', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 20 });
    const c = await stream(s);
    for (let t = 0; t < 1_500; t += 50) clock.advance(50);
    const book = s.book('primary');
    const caughtUp = () => {
      const last = lastBy(kiteOrders(c), (o) => o.order_id as string);
      return book.every((o) => {
        const f = last.get(o.order_id);
        const word = f?.status === 'UPDATE' ? 'OPEN' : f?.status;
        return f?.filled_quantity === o.filled_quantity && f.price === o.price && word === o.status;
      });
    };
    await until(caughtUp, 'the stream to reach the book');
    const updates = c.frames.flatMap((f) => kite.parse(f.data, f.binary, ctx));
    const streamed = lastBy(
      updates.flatMap((e) => (e.kind === 'update' ? [e.order] : [])),
      (o) => o.order_id,
    );
    const http = restClient();
    try {
      const snapshot = await kite.fetchSnapshot(http.rest, account(s), ctx);
      const differing = snapshot.flatMap((o) => {
        const f = streamed.get(o.order_id);
        const keys = Object.keys(o).filter(
          (k) => JSON.stringify(o[k as keyof typeof o]) !== JSON.stringify(f?.[k as keyof typeof o]),
        );
        return keys.length
          ? [{ keys, stream: f?.broker_status, book: o.broker_status, status: o.status }]
          : [];
      });
      expect(differing.length).toBeGreaterThan(0);
      for (const d of differing) {
        expect(d).toEqual({
          keys: ['broker_status'],
          stream: 'UPDATE',
          book: 'OPEN',
          status: expect.any(String),
        });
      }
    } finally {
      await http.close();
    }
  });

  it('places and cancels with the requests the adapter builds', async () => {
    const s = await start();
    const leg = {
      tradingsymbol: 'SBIN',
      exchange: 'NSE',
      transaction_type: 'BUY' as const,
      quantity: 5,
      order_type: 'LIMIT' as const,
      product: 'MIS' as const,
      price: 838.5,
      tag: 'adapter-leg',
    };
    const placed = await send(kitePlaceRequest(account(s), leg));
    expect(placed).toMatchObject({ status: 200, body: { status: 'success' } });
    const id = (placed.body.data as { order_id: string }).order_id;
    expect(s.book('primary')[0]).toMatchObject({
      order_id: id,
      tag: 'adapter-leg',
      price: 838.5,
      status: 'OPEN',
    });
    expect(await send(kiteCancelRequest(account(s), id))).toMatchObject({ status: 200 });
    expect(s.book('primary')[0]?.status).toBe('CANCELLED');
  });

  it('reads malformed frames as invalid (or, for binary, as market data to skip)', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'malformed', count: 4 });
    await place(s, limitForm());
    await until(() => c.frames.length === 5, 'the frames');
    const kinds = c.frames.map((f) => kite.parse(f.data, f.binary, ctx).map((e) => e.kind));
    expect(kinds).toEqual([['invalid'], ['invalid'], ['invalid'], [], ['update']]);
  });
});
