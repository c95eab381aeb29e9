import { once } from 'node:events';
import { createServer } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Order } from '../src/orders/model.js';
import { tickerService } from '../src/upstream/dialects/ticker-service.js';
import { createLink, type FrameKind, type Link, type LinkState } from '../src/upstream/link.js';
import { createRestClient } from '../src/upstream/rest.js';
import { silentLogger } from '../src/util/log.js';
import { type FakeBroker, type RawOrder, rawOrder, startFakeBroker } from './helpers/fake-broker.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { waitFor } from './helpers/wait.js';

const HB = 30_000;
const order = rawOrder;

let broker: FakeBroker;
let clock: FakeClock;
let dispatcher: Agent;
let link: Link | undefined;
let states: LinkState[];
let orders: { order: Order; source: string }[];
let frames: FrameKind[];

function startLink(
  opts: {
    wsUrl?: string;
    handshakeTimeoutMs?: number;
    random?: () => number;
    dialect?: typeof tickerService;
    knownOpen?: () => string[];
  } = {},
): Link {
  const l = createLink({
    account: {
      id: 'primary',
      wsUrl: opts.wsUrl ?? broker.wsUrl,
      restUrl: broker.url,
      credentials: { token: 's3cret-token' },
      timeZone: 'UTC',
    },
    dialect: opts.dialect ?? tickerService,
    rest: createRestClient({ dispatcher, timeoutMs: 2_000 }),
    clock,
    random: opts.random ?? (() => 0.5),
    log: silentLogger,
    settings: {
      heartbeatMs: HB,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 2_000,
      backoffMinMs: 1_000,
      backoffMaxMs: 60_000,
    },
    onOrder: (o, _at, source) => orders.push({ order: o, source }),
    onState: (c) => states.push(c.to),
    onFrame: (k) => frames.push(k),
    knownOpen: opts.knownOpen,
  });
  link = l;
  l.start();
  return l;
}

const stateIs = (l: Link, s: LinkState) =>
  waitFor(() => l.status().state === s, `state ${s} (is ${l.status().state})`);

beforeEach(async () => {
  broker = await startFakeBroker();
  clock = createFakeClock(Date.parse('2026-11-22T09:00:00Z'));
  dispatcher = new Agent();
  states = [];
  orders = [];
  frames = [];
});

afterEach(async () => {
  await link?.stop();
  link = undefined;
  await broker.close();
  await dispatcher.close();
});

describe('upstream link', () => {
  it('connects with the credentials in a header and resyncs before going live', async () => {
    broker.book.set('primary', [order('A')]);
    const l = startLink();
    await stateIs(l, 'connected');
    expect(states).toEqual(['connecting', 'connected']);
    expect(broker.upgrades[0]?.headers.authorization).toBe('Bearer s3cret-token');
    expect(orders).toEqual([
      { order: expect.objectContaining({ order_id: 'A', status: 'open' }), source: 'resync' },
    ]);
    broker.send('primary', order('A', { status: 'COMPLETE', filled_quantity: 10 }));
    await waitFor(() => orders.length === 2, 'live update');
    expect(orders[1]).toEqual({ order: expect.objectContaining({ status: 'filled' }), source: 'live' });
  });

  it('reconnects after a drop with a jittered backoff and recovers missed transitions by resync', async () => {
    broker.book.set('primary', [order('A')]);
    const l = startLink({ random: () => 0.25 });
    await stateIs(l, 'connected');
    broker.book.set('primary', [
      order('A', {
        status: 'COMPLETE',
        filled_quantity: 10,
        exchange_update_timestamp: '2026-11-22T09:16:00.000Z',
      }),
      order('B', { exchange_update_timestamp: '2026-11-22T09:15:30.000Z' }),
    ]);
    broker.dropAll();
    await stateIs(l, 'reconnecting');
    // Attempt 0 waits uniformly in [1 s, 2 s]: random 0.25 gives 1250 ms.
    clock.advance(1_249);
    expect(broker.upgrades).toHaveLength(1);
    clock.advance(1);
    await stateIs(l, 'connected');
    expect(broker.upgrades).toHaveLength(2);
    expect(orders.slice(1).map((o) => [o.order.order_id, o.order.status, o.source])).toEqual([
      ['B', 'open', 'resync'],
      ['A', 'filled', 'resync'],
    ]);
    expect(l.status().reconnects).toBe(1);
    expect(l.status().last_error).toBe('closed by upstream with code 1006');
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('hands each resync the order ids the gateway holds as open, read afresh every time', async () => {
    const given: (readonly string[] | undefined)[] = [];
    const spy: typeof tickerService = {
      ...tickerService,
      fetchSnapshot: (rest, account, ctx) => {
        given.push(ctx.knownOpen);
        return tickerService.fetchSnapshot(rest, account, ctx);
      },
    };
    let open = ['A', 'B'];
    const l = startLink({ dialect: spy, knownOpen: () => open, random: () => 0 });
    await stateIs(l, 'connected');
    open = ['B'];
    broker.dropAll();
    await stateIs(l, 'reconnecting');
    clock.advance(1_000);
    await stateIs(l, 'connected');
    expect(given).toEqual([['A', 'B'], ['B']]);
  });

  it('grows the backoff while the broker refuses connections, without crashing', async () => {
    const l = startLink({ random: () => 0.999 });
    await stateIs(l, 'connected');
    broker.refuseWith = 503;
    broker.dropAll();
    await stateIs(l, 'reconnecting');
    // Attempt n waits 1000 + 0.999 * (min(60000, 1000 * 2^(n+1)) - 1000) ms.
    for (const expected of [1_999, 3_997, 7_993]) {
      const before = broker.upgrades.length;
      clock.advance(expected - 1);
      expect(broker.upgrades.length).toBe(before);
      clock.advance(1);
      await waitFor(() => broker.upgrades.length === before + 1, 'reconnect attempt');
      await waitFor(() => clock.pending() > 0, 'next attempt scheduled');
    }
    expect(l.status().state).toBe('reconnecting');
    expect(l.status().last_error).toContain('503');
  });

  it('detects a stall with the watchdog, terminates and reconnects', async () => {
    const l = startLink(); // random 0.5: the first beat comes at HB / 2
    await stateIs(l, 'connected');
    broker.answerPings = false;
    clock.advance(HB / 2);
    await waitFor(() => broker.pingsSeen === 1, 'first ping');
    clock.advance(HB); // silent for 1.5 intervals: not yet a stall
    await waitFor(() => broker.pingsSeen === 2, 'second ping');
    expect(l.status().state).toBe('connected');
    clock.advance(HB); // 2.5 intervals
    await stateIs(l, 'reconnecting');
    expect(l.status().last_error).toMatch(/stalled/);
  });

  it('starts the heartbeat of each connection at a random point of the interval, then keeps the interval', async () => {
    // Links opened together (every account at start-up) must not ping together ever after.
    const l = startLink({ random: () => 0.1 });
    await stateIs(l, 'connected');
    clock.advance(0.1 * HB);
    await waitFor(() => broker.pingsSeen === 1 && l.status().messages === 1, 'first ping at 0.1 HB');
    clock.advance(HB);
    // Once the second pong is in, every ping sent before it has reached the broker: none extra,
    // and none at the old fixed phase (HB after the open).
    await waitFor(() => l.status().messages === 2, 'second pong');
    expect(broker.pingsSeen).toBe(2);
    expect(l.status().state).toBe('connected');
  });

  it('stops without its heartbeat running on: no ping or stall verdict while the socket closes', async () => {
    const l = startLink();
    await stateIs(l, 'connected');
    broker.answerPings = false;
    const stopped = l.stop();
    // Three intervals pass before the close completes: the old heartbeat pinged twice and then
    // recorded a stall on a link that was only stopping.
    clock.advance(3 * HB);
    await stopped;
    expect(l.status().state).toBe('down');
    expect(l.status().last_error).toBeNull();
    expect(broker.pingsSeen).toBe(0);
  });

  it('keeps an idle link that answers pings', async () => {
    const l = startLink();
    await stateIs(l, 'connected');
    for (let i = 1; i <= 5; i++) {
      clock.advance(i === 1 ? HB / 2 : HB);
      await waitFor(() => broker.pingsSeen === i && l.status().messages === i, `pong ${i}`);
    }
    expect(l.status().state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected']);
    expect(frames.filter((f) => f === 'heartbeat')).toHaveLength(5);
  });

  it('survives malformed frames and keeps relaying', async () => {
    const l = startLink();
    await stateIs(l, 'connected');
    broker.sendRaw('not json');
    broker.sendRaw('{"type":"order_update","account_id":"primary","data":{"order_id":"X"}}');
    broker.sendRaw('{"type":"something_else"}');
    broker.sendRaw(JSON.stringify({ type: 'order_update', account_id: 'other', data: order('Z') }));
    broker.send('primary', order('A'));
    await waitFor(() => orders.length === 1, 'valid update after bad ones');
    expect(frames).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'update']);
    expect(l.status().frames).toEqual({ update: 1, control: 0, heartbeat: 0, invalid: 4 });
    expect(l.status().state).toBe('connected');
  });

  it('stops retrying on 401 and shows auth_failed, then reconnects with new credentials', async () => {
    broker.refuseWith = 401;
    const l = startLink();
    await stateIs(l, 'auth_failed');
    clock.advance(10 * 60_000);
    expect(broker.upgrades).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    broker.refuseWith = null;
    l.updateCredentials({ token: 'fresh' });
    await stateIs(l, 'connected');
    expect(broker.upgrades[1]?.headers.authorization).toBe('Bearer fresh');
  });

  it('treats 403 as auth_failed too', async () => {
    broker.refuseWith = 403;
    const l = startLink();
    await stateIs(l, 'auth_failed');
    expect(l.status().last_error).toContain('403');
  });

  it('skips an unreadable snapshot entry, counts it, and goes live with the rest', async () => {
    broker.book.set('primary', [
      order('A'),
      { order_id: 'B', status: 'OPEN' } as unknown as RawOrder,
      order('C'),
    ]);
    const l = startLink();
    await stateIs(l, 'connected');
    expect(orders.map((o) => o.order.order_id)).toEqual(['A', 'C']);
    expect(l.status().frames.invalid).toBe(1);
  });

  it('reconnects when the resync fails', async () => {
    broker.snapshotStatus = 500;
    const l = startLink();
    await stateIs(l, 'reconnecting');
    expect(l.status().last_error).toMatch(/resync failed/);
  });

  it('survives a handshake that hangs and a refused connection', async () => {
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    try {
      const l = startLink({ wsUrl: `ws://127.0.0.1:${port}`, handshakeTimeoutMs: 50 });
      await stateIs(l, 'reconnecting');
      expect(l.status().last_error).toMatch(/handshake has timed out/i);
      await l.stop();
    } finally {
      silent.close();
    }
    const closedPort = port;
    const l2 = startLink({ wsUrl: `ws://127.0.0.1:${closedPort}` });
    await stateIs(l2, 'reconnecting');
    expect(l2.status().last_error).toMatch(/ECONNREFUSED/);
  });

  it('survives credentials ws refuses to send (a CR in a header) and recovers with good ones', async () => {
    const l = startLink();
    await stateIs(l, 'connected');
    l.updateCredentials({ token: 'bad\r\ntoken' });
    broker.dropAll();
    await stateIs(l, 'reconnecting');
    clock.advance(2_000);
    await waitFor(() => (l.status().last_error ?? '').startsWith('cannot connect'), 'refused locally');
    expect(l.status().state).toBe('reconnecting');
    l.updateCredentials({ token: 'good-token' });
    clock.advance(60_000);
    await stateIs(l, 'connected');
  });

  it('stop() ends in down and schedules nothing more', async () => {
    const l = startLink();
    await stateIs(l, 'connected');
    await l.stop();
    expect(l.status().state).toBe('down');
    clock.advance(120_000);
    expect(broker.upgrades).toHaveLength(1);
  });
});
