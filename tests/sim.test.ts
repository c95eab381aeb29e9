/**
 * The simulated broker over real sockets: stream and book agree, REST place/cancel/batch, the
 * control API's faults, and seeded determinism under a fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KiteOrderSchema } from '../src/orders/kite-vocabulary.js';
import { batchStatus, type LegStatus } from '../src/sim/batch.js';
import { DROP_CLOSE_CODE, type Sim, type SimOptions, startSim } from '../src/sim/index.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import {
  call,
  jsonFrames,
  openStream,
  orderFrames,
  type StreamClient,
  settle,
  until,
  upgradeStatus,
} from './helpers/sim-client.js';

const T0 = Date.parse('2024-12-02T03:45:00.000Z');
let sim: Sim | undefined;
let clients: StreamClient[] = [];

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await sim?.close();
  sim = undefined;
});

async function start(opts: Partial<SimOptions> = {}): Promise<Sim> {
  sim = await startSim({ accounts: ['primary', 'hedge'], rate: 0, seed: 7, ...opts });
  return sim;
}

async function stream(s: Sim, account = 'primary'): Promise<StreamClient> {
  const c = await openStream(`${s.wsUrl}/advanced/ws/orders/${account}?api_key=k&access_token=t`);
  clients.push(c);
  return c;
}

const limitLeg = (tag?: string) => ({
  tradingsymbol: 'INFY',
  exchange: 'NSE',
  transaction_type: 'BUY',
  quantity: 10,
  order_type: 'LIMIT',
  product: 'CNC',
  price: 1850.5,
  ...(tag ? { tag } : {}),
});

/** Advances the fake clock until the sim has no lifecycle left. */
function drain(s: Sim, clock: FakeClock): void {
  for (let i = 0; i < 1_000 && !s.idle(); i++) clock.advance(100);
  expect(s.idle()).toBe(true);
}

const lastPerOrder = (frames: Record<string, unknown>[]) => {
  const last = new Map<string, Record<string, unknown>>();
  for (const f of frames) last.set(f.order_id as string, f);
  return last;
};

describe('stream and book', () => {
  it('sends a frame for every change, and the last frame of each order equals the book', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 20 });
    const c = await stream(s);
    for (let t = 0; t < 3_000; t += 50) clock.advance(50);
    s.setRate(0);
    drain(s, clock);
    const book = s.book('primary');
    expect(book.length).toBeGreaterThan(30);
    await until(() => {
      const last = lastPerOrder(orderFrames(c));
      return book.every((o) => JSON.stringify(last.get(o.order_id)) === JSON.stringify(o));
    }, 'stream to catch up with the book');
    const frames = orderFrames(c);
    expect([...lastPerOrder(frames).values()]).toEqual(book);
    const snapshot = await call('GET', `${s.httpUrl}/advanced/orders/primary`);
    expect(snapshot.body.orders).toEqual(book);

    const statuses = new Set(book.map((o) => o.status));
    for (const st of ['COMPLETE', 'CANCELLED', 'REJECTED']) expect(statuses).toContain(st);
    expect(frames.some((f) => f.status === 'TRIGGER PENDING')).toBe(true);
    const partial = (f: Record<string, unknown>) =>
      (f.filled_quantity as number) > 0 && (f.pending_quantity as number) > 0;
    expect(frames.some(partial)).toBe(true);
    for (const f of frames) expect(KiteOrderSchema.safeParse(f).success).toBe(true);
    for (const f of jsonFrames(c)) expect(f).toMatchObject({ type: 'order_update', account_id: 'primary' });
  });

  it('stamps changes strictly later per order and never lowers filled_quantity', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 30 });
    const c = await stream(s);
    clock.advance(2_000);
    s.setRate(0);
    drain(s, clock);
    const total = s.book('primary').length;
    await until(() => lastPerOrder(orderFrames(c)).size === total, 'all orders on the stream');
    const seen = new Map<string, { ts: string; filled: number }>();
    for (const f of orderFrames(c)) {
      const ts = f.exchange_update_timestamp as string;
      expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const prev = seen.get(f.order_id as string);
      if (prev) {
        expect(ts > prev.ts).toBe(true);
        expect(f.filled_quantity as number).toBeGreaterThanOrEqual(prev.filled);
      }
      seen.set(f.order_id as string, { ts, filled: f.filled_quantity as number });
    }
  });

  it('keeps at most one lifecycle timer per working order', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock, rate: 50 });
    for (let t = 0; t < 2_000; t += 100) {
      clock.advance(100);
      const working = ['primary', 'hedge']
        .flatMap((a) => s.book(a))
        .filter((o) => !['COMPLETE', 'CANCELLED', 'REJECTED'].includes(o.status));
      expect(clock.pending()).toBeLessThanOrEqual(working.length + 2);
    }
    s.setRate(0);
    drain(s, clock);
    expect(clock.pending()).toBe(0);
  });

  it('is deterministic for a seed and a sequence of clock steps', async () => {
    const run = async (seed: number) => {
      const clock = createFakeClock(T0);
      const s = await startSim({ accounts: ['primary', 'hedge'], rate: 10, seed, clock });
      try {
        clock.advance(1_500);
        s.setRate(0);
        drain(s, clock);
        return { primary: s.book('primary'), hedge: s.book('hedge') };
      } finally {
        await s.close();
      }
    };
    const a = await run(42);
    expect(a.primary.length).toBeGreaterThan(3);
    expect(await run(42)).toEqual(a);
    expect(await run(43)).not.toEqual(a);
  });

  it('completes a MARKET order on the real clock', async () => {
    const s = await start();
    const c = await stream(s);
    const res = await call('POST', `${s.httpUrl}/advanced/orders/primary`, {
      ...limitLeg(),
      order_type: 'MARKET',
      price: undefined,
    });
    expect(res).toMatchObject({ status: 200, body: { status: 'OPEN' } });
    await until(() => orderFrames(c).some((f) => f.status === 'COMPLETE'), 'the fill');
    expect(orderFrames(c).map((f) => f.status)).toEqual(['OPEN', 'COMPLETE']);
    const [done] = s.book('primary');
    expect(done).toMatchObject({ filled_quantity: 10, pending_quantity: 0, status: 'COMPLETE' });
    expect(done?.average_price).toBeGreaterThan(0);
    expect(s.idle()).toBe(true);
  });
});

describe('stream protocol', () => {
  it('answers ping with pong', async () => {
    const s = await start();
    const c = await stream(s);
    c.ws.send('ping');
    await until(() => c.texts.includes('pong'), 'pong');
  });

  it('refuses an unknown account or path with 404', async () => {
    const s = await start();
    expect(await upgradeStatus(`${s.wsUrl}/advanced/ws/orders/nobody`)).toBe(404);
    expect(await upgradeStatus(`${s.wsUrl}/elsewhere`)).toBe(404);
    expect(await upgradeStatus(`${s.wsUrl}/advanced/ws/orders/primary`)).toBe(101);
  });

  it('refuses with 401 while auth_fail lasts, by count', async () => {
    const s = await start();
    const url = `${s.wsUrl}/advanced/ws/orders/primary`;
    expect(
      await call('POST', `${s.httpUrl}/sim/faults`, { account_id: 'primary', kind: 'auth_fail', count: 2 }),
    ).toMatchObject({ status: 200, body: { ok: true } });
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(`${s.wsUrl}/advanced/ws/orders/hedge`)).toBe(101);
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url)).toBe(101);
  });

  it('refuses with 401 while auth_fail lasts, by duration', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const url = `${s.wsUrl}/advanced/ws/orders/primary`;
    s.injectFault({ account_id: 'primary', kind: 'auth_fail', duration_ms: 1_000 });
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(url)).toBe(401);
    clock.advance(1_000);
    expect(await upgradeStatus(url)).toBe(101);
  });
});

describe('REST orders', () => {
  it('places, lists by tag, cancels, and refuses a second cancel or an unknown order', async () => {
    const s = await start();
    const c = await stream(s);
    const orders = `${s.httpUrl}/advanced/orders/primary`;
    const placed = await call('POST', orders, limitLeg('leg-1'));
    expect(placed).toMatchObject({ status: 200, body: { status: 'OPEN' } });
    const id = placed.body.order_id as string;
    await call('POST', orders, limitLeg('leg-2'));

    const tagged = await call('GET', `${orders}?tag=leg-1`);
    expect(tagged.body.orders).toEqual([
      expect.objectContaining({ order_id: id, tag: 'leg-1', status: 'OPEN' }),
    ]);
    expect((await call('GET', orders)).body.orders).toHaveLength(2);

    expect(await call('DELETE', `${orders}/${id}`)).toEqual({
      status: 200,
      body: { order_id: id, status: 'CANCELLED' },
    });
    expect(s.book('primary')[0]).toMatchObject({
      status: 'CANCELLED',
      pending_quantity: 0,
      cancelled_quantity: 10,
    });
    expect(await call('DELETE', `${orders}/${id}`)).toEqual({
      status: 409,
      body: { error: { code: 'not_cancellable', message: 'order is CANCELLED' } },
    });
    expect((await call('DELETE', `${orders}/999`)).status).toBe(404);
    expect((await call('DELETE', `${s.httpUrl}/advanced/orders/hedge/${id}`)).status).toBe(404);
    await until(() => orderFrames(c).length === 3, 'three frames');
    expect(orderFrames(c).map((f) => [f.tag, f.status])).toEqual([
      ['leg-1', 'OPEN'],
      ['leg-2', 'OPEN'],
      ['leg-1', 'CANCELLED'],
    ]);
  });

  it('rejects with 422 on reject_next, keeping the REJECTED order in the book and on the stream', async () => {
    const s = await start();
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'reject_next' });
    const res = await call('POST', `${s.httpUrl}/advanced/orders/primary`, limitLeg('r'));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'order_rejected' });
    const [order] = s.book('primary');
    expect(order).toMatchObject({ order_id: res.body.order_id, status: 'REJECTED', exchange_order_id: null });
    expect(order?.status_message).toMatch(/reject/i);
    await until(() => orderFrames(c).length === 1, 'the rejection frame');
    expect(orderFrames(c)[0]).toEqual(order);
    expect((await call('POST', `${s.httpUrl}/advanced/orders/primary`, limitLeg())).status).toBe(200);
  });

  it('fills at once on fill_on_place, so a later cancel gets 409', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'fill_on_place' });
    const res = await call('POST', `${s.httpUrl}/advanced/orders/primary`, limitLeg());
    expect(res.body).toMatchObject({ status: 'COMPLETE' });
    await until(() => orderFrames(c).length === 2, 'the placement and the fill');
    const [placed, filled] = orderFrames(c);
    expect([placed?.status, filled?.status]).toEqual(['OPEN', 'COMPLETE']);
    // Same clock instant: the second change is still stamped 1 ms later.
    expect(placed?.exchange_update_timestamp).toBe('2024-12-02T03:45:00.000Z');
    expect(filled?.exchange_update_timestamp).toBe('2024-12-02T03:45:00.001Z');
    expect(s.book('primary')[0]).toMatchObject({
      filled_quantity: 10,
      pending_quantity: 0,
      average_price: 1850.5,
    });
    expect(await call('DELETE', `${s.httpUrl}/advanced/orders/primary/${res.body.order_id}`)).toEqual({
      status: 409,
      body: { error: { code: 'not_cancellable', message: 'order is COMPLETE' } },
    });
  });

  it('answers bad requests with 400 and unknown accounts with 404', async () => {
    const s = await start();
    const orders = `${s.httpUrl}/advanced/orders/primary`;
    const noPrice = await call('POST', orders, { ...limitLeg(), price: undefined });
    expect(noPrice).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(noPrice.body.error).toMatchObject({ message: expect.stringContaining('price') });
    expect((await call('POST', orders, { ...limitLeg(), quantity: 1.5 })).status).toBe(400);
    expect((await call('POST', orders, { ...limitLeg(), order_type: 'SL' })).status).toBe(400);
    expect((await call('POST', orders, '{"tradingsymbol":')).status).toBe(400);
    expect(await call('GET', `${s.httpUrl}/advanced/orders/nobody`)).toMatchObject({
      status: 404,
      body: { error: { code: 'unknown_account' } },
    });
    expect((await call('POST', `${s.httpUrl}/advanced/orders/nobody`, limitLeg())).status).toBe(404);
    expect(s.book('primary')).toEqual([]);
  });
});

describe('native batch', () => {
  const legs = (n: number) => Array.from({ length: n }, (_, i) => limitLeg(`b-${i}`));
  const batch = (s: Sim, orders: unknown[], rollback = true) =>
    call('POST', `${s.httpUrl}/advanced/batch-orders`, {
      account_id: 'primary',
      orders,
      rollback_on_failure: rollback,
    });

  it('places every leg: success', async () => {
    const s = await start();
    const res = await batch(s, legs(4));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success', succeeded: 4, failed: 0 });
    expect(res.body.order_ids).toEqual(s.book('primary').map((o) => o.order_id));
    expect(res.body.legs).toEqual(
      s.book('primary').map((o, index) => ({ index, status: 'placed', order_id: o.order_id, error: null })),
    );
  });

  it('rolls back the placed legs when leg 3 of 4 is rejected', async () => {
    const s = await start();
    s.injectFault({ account_id: 'primary', kind: 'reject_next', skip: 2 });
    const res = await batch(s, legs(4));
    expect(res.body).toMatchObject({ status: 'rolled_back', succeeded: 2, failed: 2 });
    const book = s.book('primary');
    expect(book.map((o) => o.status)).toEqual(['CANCELLED', 'CANCELLED', 'REJECTED']);
    expect(res.body.order_ids).toEqual([book[0]?.order_id, book[1]?.order_id]);
    expect(res.body.legs).toMatchObject([
      { index: 0, status: 'cancelled' },
      { index: 1, status: 'cancelled' },
      { index: 2, status: 'rejected', order_id: book[2]?.order_id, error: expect.stringMatching(/reject/i) },
      { index: 3, status: 'rejected', order_id: null, error: expect.stringContaining('not placed') },
    ]);
  });

  it('is partial when a filled leg cannot be rolled back', async () => {
    const s = await start();
    s.injectFault({ account_id: 'primary', kind: 'fill_on_place' });
    s.injectFault({ account_id: 'primary', kind: 'reject_next', skip: 1 });
    const res = await batch(s, legs(3));
    expect(res.body).toMatchObject({ status: 'partial', succeeded: 1, failed: 2 });
    expect(res.body.legs).toMatchObject([
      { index: 0, status: 'filled', error: expect.stringContaining('COMPLETE') },
      { index: 1, status: 'rejected' },
      { index: 2, status: 'rejected', order_id: null },
    ]);
    expect(s.book('primary').map((o) => o.status)).toEqual(['COMPLETE', 'REJECTED']);
  });

  it('is partial without rollback, and failed when nothing was placed', async () => {
    const s = await start();
    s.injectFault({ account_id: 'primary', kind: 'reject_next', skip: 1 });
    const open = await batch(s, legs(3), false);
    expect(open.body).toMatchObject({ status: 'partial', succeeded: 2, failed: 1 });
    expect(s.book('primary').map((o) => o.status)).toEqual(['OPEN', 'REJECTED', 'OPEN']);
    s.injectFault({ account_id: 'primary', kind: 'reject_next', count: 2 });
    expect((await batch(s, legs(2), false)).body).toMatchObject({
      status: 'failed',
      succeeded: 0,
      failed: 2,
    });
  });

  it('validates the batch body', async () => {
    const s = await start();
    expect((await batch(s, [])).status).toBe(400);
    expect((await batch(s, [{ ...limitLeg(), transaction_type: 'HOLD' }])).status).toBe(400);
    const res = await call('POST', `${s.httpUrl}/advanced/batch-orders`, {
      account_id: 'nobody',
      orders: legs(1),
    });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'unknown_account' } } });
    expect(s.book('primary')).toEqual([]);
  });
});

describe('faults', () => {
  it('drop closes every stream socket of the account with 1012', async () => {
    const s = await start();
    const [a, b, other] = [await stream(s), await stream(s), await stream(s, 'hedge')];
    expect((await call('GET', `${s.httpUrl}/sim/stats`)).body).toMatchObject({
      accounts: { primary: { connections: 2 }, hedge: { connections: 1 } },
    });
    await call('POST', `${s.httpUrl}/sim/faults`, { account_id: 'primary', kind: 'drop' });
    await until(() => a.closed !== null && b.closed !== null, 'both sockets closed');
    expect([a.closed?.code, b.closed?.code]).toEqual([DROP_CLOSE_CODE, DROP_CLOSE_CODE]);
    expect(DROP_CLOSE_CODE).toBe(1012);
    await settle(50);
    expect(other.closed).toBeNull();
    expect(await upgradeStatus(`${s.wsUrl}/advanced/ws/orders/primary`)).toBe(101);
  });

  it('stall: no pong and no frames until it ends; what changed meanwhile is lost', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const c = await stream(s);
    s.injectFault({ account_id: 'primary', kind: 'stall', duration_ms: 5_000 });
    c.ws.send('ping');
    await call('POST', `${s.httpUrl}/advanced/orders/primary`, limitLeg('lost'));
    await settle(100);
    expect(c.texts).toEqual([]);
    expect(s.book('primary')).toHaveLength(1);
    expect(c.closed).toBeNull();

    clock.advance(5_000);
    c.ws.send('ping');
    await until(() => c.texts.includes('pong'), 'pong after the stall');
    await call('POST', `${s.httpUrl}/advanced/orders/primary`, limitLeg('after'));
    await until(() => orderFrames(c).length > 0, 'a frame after the stall');
    expect(orderFrames(c)[0]).toMatchObject({ tag: 'after', status: 'OPEN' });
    expect(orderFrames(c).some((f) => f.tag === 'lost')).toBe(false);
  });

  it('stall without a duration lasts until the faults are cleared', async () => {
    const s = await start();
    const c = await stream(s);
    let protocolPongs = 0;
    c.ws.on('pong', () => protocolPongs++);
    s.injectFault({ account_id: 'primary', kind: 'stall' });
    c.ws.send('ping');
    c.ws.ping();
    await settle(100);
    expect(c.texts).toEqual([]);
    expect(protocolPongs).toBe(0);
    await call('DELETE', `${s.httpUrl}/sim/faults`);
    c.ws.send('ping');
    c.ws.ping();
    await until(() => c.texts.includes('pong') && protocolPongs === 1, 'both pongs after clearing');
  });

  it('malformed frames come first, then every real update still arrives', async () => {
    const s = await start();
    const c = await stream(s);
    await call('POST', `${s.httpUrl}/sim/faults`, { account_id: 'primary', kind: 'malformed', count: 4 });
    const first = await call('POST', `${s.httpUrl}/advanced/orders/primary`, limitLeg('m1'));
    await call('DELETE', `${s.httpUrl}/advanced/orders/primary/${first.body.order_id}`);
    await until(() => c.texts.length === 6, 'four malformed and two real frames');
    const valid = (t: string) => {
      try {
        const f = JSON.parse(t);
        return f.type === 'order_update' && KiteOrderSchema.safeParse(f.data).success;
      } catch {
        return false;
      }
    };
    expect(c.texts.map(valid)).toEqual([false, false, false, false, true, true]);
    expect(() => JSON.parse(c.texts[0] ?? '')).toThrow();
    expect(orderFrames(c).map((f) => f.status)).toEqual(['OPEN', 'CANCELLED']);
    expect((await call('GET', `${s.httpUrl}/sim/stats`)).body).toMatchObject({
      accounts: { primary: { faults: [] } },
    });
  });

  it('rest_latency delays the answer, not the action', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    const orders = `${s.httpUrl}/advanced/orders/primary`;
    s.injectFault({ account_id: 'primary', kind: 'rest_latency', count: 1, latency_ms: 2_000 });
    const events: string[] = [];
    const slow = call('POST', orders, limitLeg('slow')).then((r) => events.push(`slow ${r.status}`));
    await until(() => s.book('primary').length === 1, 'the placement to land in the book');
    const fast = await call('GET', orders);
    events.push('fast');
    expect(fast.body.orders).toEqual([expect.objectContaining({ tag: 'slow' })]);
    await settle(50);
    expect(events).toEqual(['fast']);
    clock.advance(2_000);
    await slow;
    expect(events).toEqual(['fast', 'slow 200']);
  });

  it('lists active faults in stats and rejects bad fault requests', async () => {
    const s = await start();
    const faults = `${s.httpUrl}/sim/faults`;
    expect((await call('POST', faults, { account_id: 'primary', kind: 'explode' })).status).toBe(400);
    expect((await call('POST', faults, { account_id: 'nobody', kind: 'drop' })).status).toBe(404);
    expect(() => s.injectFault({ account_id: 'nobody', kind: 'stall' })).toThrow(/unknown account/);
    await call('POST', faults, { account_id: 'hedge', kind: 'rest_latency', count: 3, latency_ms: 5 });
    const stats = await call('GET', `${s.httpUrl}/sim/stats`);
    expect(stats.body).toMatchObject({
      accounts: {
        hedge: { faults: [{ kind: 'rest_latency', remaining: 3, latency_ms: 5 }] },
        primary: { faults: [] },
      },
    });
    await call('DELETE', faults);
    expect((await call('GET', `${s.httpUrl}/sim/stats`)).body).toMatchObject({
      accounts: { hedge: { faults: [] } },
    });
  });
});

describe('control API', () => {
  it('starts and stops background activity per account', async () => {
    const clock = createFakeClock(T0);
    const s = await start({ clock });
    expect((await call('POST', `${s.httpUrl}/sim/activity`, { rate: -1 })).status).toBe(400);
    expect((await call('POST', `${s.httpUrl}/sim/activity`, { rate: 5, account_id: 'nobody' })).status).toBe(
      404,
    );
    expect(await call('POST', `${s.httpUrl}/sim/activity`, { rate: 10, account_id: 'hedge' })).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(s.idle()).toBe(false);
    clock.advance(1_000);
    expect(s.book('primary')).toEqual([]);
    expect(s.book('hedge').length).toBeGreaterThan(0);
    await call('POST', `${s.httpUrl}/sim/activity`, { rate: 0 });
    drain(s, clock);
    const frozen = s.book('hedge');
    clock.advance(60_000);
    expect(s.book('hedge')).toEqual(frozen);
    expect((await call('GET', `${s.httpUrl}/sim/stats`)).body).toMatchObject({
      accounts: { hedge: { orders: frozen.length, rate: 0 } },
    });
  });

  it('close() ends client streams', async () => {
    const s = await start();
    const c = await stream(s);
    await s.close();
    sim = undefined;
    await until(() => c.closed !== null, 'the client to see the close');
  });
});

describe('batchStatus', () => {
  const leg = (status: LegStatus, filled = 0) => ({ status, filled });
  it.each([
    ['success', [leg('placed'), leg('filled', 10)]],
    ['failed', [leg('rejected'), leg('rejected')]],
    ['rolled_back', [leg('cancelled'), leg('rejected')]],
    ['partial', [leg('cancelled', 3), leg('rejected')]],
    ['partial', [leg('filled', 10), leg('rejected')]],
    ['partial', [leg('placed'), leg('rejected')]],
    ['partial', [leg('cancelled'), leg('placed'), leg('rejected')]],
  ] as const)('%s for %j', (expected, legs) => {
    expect(batchStatus(legs)).toBe(expected);
  });
});
