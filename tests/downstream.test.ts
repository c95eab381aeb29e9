import { once } from 'node:events';
import { createConnection } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tickerService } from '../src/upstream/dialects/ticker-service.js';
import { type FakeBroker, rawOrder, startFakeBroker } from './helpers/fake-broker.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { type Client, connect, type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

const order = rawOrder;
const fill = (id: string, filled: number, ts: string) =>
  order(id, {
    status: filled === 10 ? 'COMPLETE' : 'OPEN',
    filled_quantity: filled,
    exchange_update_timestamp: ts,
  });

let broker: FakeBroker;
let clock: FakeClock;
let gw: StartedGateway;
const clients: Client[] = [];

async function gateway(downstream: Record<string, unknown> = {}) {
  gw = await startGateway(
    {
      accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: broker.wsUrl, rest_url: broker.url })),
      downstream,
    },
    { clock },
  );
  await waitFor(
    () => [...gw.gateway.links.values()].every((l) => l.status().state === 'connected'),
    'links up',
  );
  return gw;
}

async function client(path: string): Promise<Client> {
  const c = await connect(`${gw.wsUrl}${path}`);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  broker = await startFakeBroker();
  clock = createFakeClock(Date.parse('2026-11-22T09:00:00Z'));
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  await broker.close();
});

describe('downstream protocol', () => {
  it('greets, auto-subscribes by path with a snapshot, then streams sequenced updates', async () => {
    broker.book.set('primary', [order('A')]);
    await gateway();
    const c = await client('/ws/orders/primary');
    await waitFor(() => c.of('snapshot').length === 1, 'snapshot');
    const [hello, subscribed, snapshot] = c.frames;
    expect(hello).toMatchObject({
      type: 'connected',
      session_id: expect.any(String),
      epoch: expect.any(String),
      heartbeat_ms: 30_000,
    });
    expect(subscribed).toEqual({ type: 'subscribed', account_id: 'primary', seq: 1, recovered: false });
    expect(snapshot).toMatchObject({
      type: 'snapshot',
      account_id: 'primary',
      seq: 1,
      orders: [{ order_id: 'A', status: 'open' }],
    });
    broker.send('primary', fill('A', 4, '2026-11-22T09:15:01.000Z'));
    broker.send('primary', fill('A', 10, '2026-11-22T09:15:02.000Z'));
    broker.send('secondary', order('S'));
    await waitFor(() => c.of('order_update').length === 2, 'two updates');
    const updates = c.of('order_update');
    expect(updates.map((u) => u.seq)).toEqual([2, 3]);
    expect(updates[1]).toMatchObject({
      account_id: 'primary',
      epoch: (hello as { epoch: string }).epoch,
      data: { order_id: 'A', status: 'filled', filled_quantity: 10, pending_quantity: 0 },
      timestamp: expect.any(String),
    });
  });

  it('does not re-broadcast duplicates or stale updates', async () => {
    await gateway();
    const c = await client('/ws/orders/primary');
    broker.send('primary', fill('A', 4, '2026-11-22T09:15:01.000Z'));
    broker.send('primary', fill('A', 4, '2026-11-22T09:15:01.000Z'));
    broker.send('primary', fill('A', 2, '2026-11-22T09:15:00.500Z'));
    broker.send('primary', fill('A', 10, '2026-11-22T09:15:02.000Z'));
    broker.send('primary', order('A', { status: 'CANCELLED', filled_quantity: 10 }));
    broker.send('primary', order('B'));
    await waitFor(
      () => c.of('order_update').some((u) => (u.data as { order_id: string }).order_id === 'B'),
      'B',
    );
    expect(c.of('order_update').map((u) => [(u.data as { order_id: string }).order_id, u.seq])).toEqual([
      ['A', 1],
      ['A', 2],
      ['B', 3],
    ]);
  });

  it('subscribes by message, per order, and answers ping, bad messages and unknown accounts', async () => {
    await gateway();
    const c = await client('/ws');
    c.ws.send('ping');
    c.ws.send('{nope');
    c.ws.send(JSON.stringify({ action: 'subscribe' }));
    c.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'ghost' }));
    c.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'primary', order_id: 'B' }));
    await waitFor(() => c.of('snapshot').length === 1, 'per-order snapshot');
    expect(c.of('pong')).toHaveLength(1);
    expect(c.of('error').map((e) => e.code)).toEqual([
      'invalid_message',
      'invalid_message',
      'unknown_account',
    ]);
    broker.send('primary', order('A'));
    broker.send('primary', order('B'));
    await waitFor(() => c.of('order_update').length === 1, 'B only');
    broker.send('primary', order('C'));
    c.ws.send(JSON.stringify({ action: 'unsubscribe', account_id: 'primary' }));
    await waitFor(() => c.of('unsubscribed').length === 1, 'unsubscribed');
    broker.send('primary', order('D'));
    await waitFor(
      () => gw.gateway.app !== undefined && gw.gateway.links.get('primary')?.status().messages === 4,
      'D at gateway',
    );
    expect(c.of('order_update').map((u) => (u.data as { order_id: string }).order_id)).toEqual(['B']);
  });

  it('streams every account on /ws/orders and pushes upstream_status', async () => {
    await gateway();
    const admin = await client('/ws/orders');
    await waitFor(() => admin.of('snapshot').length === 2, 'snapshots for both accounts');
    broker.send('primary', order('A'));
    broker.send('secondary', order('S'));
    await waitFor(() => admin.of('order_update').length === 2, 'both accounts');
    broker.dropAll();
    // Each subscribe is told the link's current state; changes follow live.
    await waitFor(() => admin.of('upstream_status').length === 4, 'status frames');
    const states = admin.of('upstream_status').map((u) => `${u.account_id} ${u.state}`);
    expect(states.slice(0, 2)).toEqual(['primary connected', 'secondary connected']);
    expect(states.slice(2).sort()).toEqual(['primary reconnecting', 'secondary reconnecting']);
    expect(admin.of('upstream_status')[2]).toMatchObject({
      state: 'reconnecting',
      since: expect.any(String),
    });
  });

  it('closes an unknown account path with an error frame', async () => {
    await gateway();
    const c = await client('/ws/orders/ghost');
    const closed = await c.closed;
    expect(closed.code).toBe(4004);
    expect(c.of('error')[0]).toMatchObject({ code: 'unknown_account' });
  });
});

describe('refused upgrades', () => {
  /** Sends an upgrade request by hand, waits for the refusal, then resets the connection. */
  async function refusedThenReset(target: string): Promise<string> {
    const port = new URL(gw.url).port;
    const socket = createConnection({ host: '127.0.0.1', port: Number(port) });
    await once(socket, 'connect');
    socket.write(
      `GET ${target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    const [answer] = (await once(socket, 'data')) as [Buffer];
    socket.resetAndDestroy();
    await once(socket, 'close');
    return answer.toString().split('\r\n')[0] as string;
  }

  it('survive clients that reset the connection right after the refusal', async () => {
    await gateway();
    for (let i = 0; i < 20; i++) {
      expect(await refusedThenReset('/nowhere')).toBe('HTTP/1.1 404 Not Found');
      expect(await refusedThenReset('//[')).toBe('HTTP/1.1 400 Bad Request');
    }
    // Give the resets time to reach the server's sockets, then check it is still serving.
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });
});

describe('resync', () => {
  it("hands each account's resync the orders its book holds as open, and only that account's", async () => {
    await gateway();
    broker.send('primary', rawOrder('A'));
    broker.send('primary', rawOrder('B', { status: 'COMPLETE', filled_quantity: 10 }));
    broker.send('secondary', rawOrder('C'));
    const updates = (id: string) => gw.gateway.links.get(id)?.status().frames.update ?? 0;
    await waitFor(() => updates('primary') === 2 && updates('secondary') === 1, 'orders relayed');
    const seen = new Map<string, readonly string[] | undefined>();
    const original = tickerService.fetchSnapshot;
    tickerService.fetchSnapshot = (rest, account, ctx) => {
      seen.set(account.id, ctx.knownOpen);
      return original(rest, account, ctx);
    };
    try {
      broker.dropAll();
      await waitFor(
        () => [...gw.gateway.links.values()].every((l) => l.status().state === 'reconnecting'),
        'down',
      );
      clock.advance(2_000); // past any first backoff
      await waitFor(() => seen.size === 2, 'both accounts resynced');
    } finally {
      tickerService.fetchSnapshot = original;
    }
    expect(seen.get('primary')).toEqual(['A']);
    expect(seen.get('secondary')).toEqual(['C']);
  });
});

describe('resume', () => {
  it('replays from history when it can, and falls back to a snapshot when history is gone', async () => {
    await gateway({ history_size: 3 });
    const first = await client('/ws/orders/primary');
    for (let i = 1; i <= 3; i++) broker.send('primary', order(`O${i}`));
    await waitFor(() => first.of('order_update').length === 3, 'three updates');
    const epoch = (first.frames[0] as { epoch: string }).epoch;
    first.ws.close();
    broker.send('primary', order('O4'));
    await waitFor(() => gw.gateway.links.get('primary')?.status().messages === 4, 'O4 relayed');

    const resumed = await client(`/ws/orders/primary?since_seq=2&epoch=${epoch}`);
    await waitFor(() => resumed.of('order_update').length === 2, 'replay');
    expect(resumed.of('subscribed')[0]).toMatchObject({ seq: 4, recovered: true });
    expect(resumed.of('order_update').map((u) => u.seq)).toEqual([3, 4]);
    expect(resumed.of('snapshot')).toHaveLength(0);

    const tooOld = await client(`/ws/orders/primary?since_seq=0&epoch=${epoch}`);
    await waitFor(() => tooOld.of('snapshot').length === 1, 'fallback snapshot');
    expect(tooOld.of('subscribed')[0]).toMatchObject({ seq: 4, recovered: false });
    expect((tooOld.of('snapshot')[0] as { orders: unknown[] }).orders).toHaveLength(4);

    const otherEpoch = await client('/ws/orders/primary?since_seq=3&epoch=bogus');
    await waitFor(() => otherEpoch.of('snapshot').length === 1, 'snapshot on epoch mismatch');
    expect(otherEpoch.of('subscribed')[0]).toMatchObject({ recovered: false });
  });
});

describe('slow and dead clients', () => {
  const accountClients = async () =>
    ((await (await fetch(`${gw.url}/ws/status`)).json()) as { clients: { account: number } }).clients.account;

  it('closes a client whose send buffer passes the limit with 4008, and spares the others', async () => {
    await gateway({ client_buffer_limit_bytes: 64 * 1024 });
    const slow = await client('/ws/orders/primary');
    const fast = await client('/ws/orders/primary');
    await waitFor(() => slow.of('snapshot').length === 1 && fast.of('snapshot').length === 1, 'snapshots');
    // Stop reading (ws resumes a paused socket on its own, so detach its reader too): the kernel
    // buffers fill, then the server's send buffer grows past the limit.
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    const readers = socket.listeners('data') as ((chunk: Buffer) => void)[];
    socket.removeAllListeners('data');
    socket.pause();
    const big = 'x'.repeat(4_000);
    let sent = 0;
    while (sent < 20_000 && (await accountClients()) === 2) {
      for (let i = 0; i < 200; i++) broker.send('primary', order(`P${sent++}`, { status_message: big }));
      await waitFor(() => fast.of('order_update').length === sent, `fast client got ${sent}`, 20_000);
    }
    expect(await accountClients()).toBe(1);
    for (const r of readers) socket.on('data', r);
    socket.resume();
    expect((await slow.closed).code).toBe(4008);
    const seqs = fast.of('order_update').map((u) => u.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // What the slow client did get was gap-free up to where it was cut off.
    const got = slow.of('order_update').map((u) => u.seq as number);
    expect(got).toEqual(got.map((_, i) => i + 1));
    expect(got.length).toBeLessThan(sent);
  });

  it('closes a client that asks for too much in one go (snapshot after snapshot) with 4008', async () => {
    broker.book.set(
      'primary',
      Array.from({ length: 150 }, (_, i) => order(`S${i}`, { status_message: 'x'.repeat(200) })),
    );
    await gateway({ client_buffer_limit_bytes: 64 * 1024 });
    const greedy = await client('/ws');
    const burst = Array.from({ length: 12 }, () =>
      JSON.stringify({ action: 'subscribe', account_id: 'primary' }),
    );
    greedy.ws.send(burst.join('\n')); // not one message: answered with an error, proving the socket works
    for (const m of burst) greedy.ws.send(m);
    expect((await greedy.closed).code).toBe(4008);
    expect(greedy.of('snapshot').length).toBeLessThan(12);
  });

  it('terminates a client that stops answering protocol pings', async () => {
    await gateway();
    const quiet = await connect(`${gw.wsUrl}/ws/orders/primary`, { autoPong: false });
    clients.push(quiet);
    const alive = await client('/ws/orders/primary');
    await waitFor(() => quiet.of('snapshot').length === 1 && alive.of('snapshot').length === 1, 'subscribed');
    let pinged = 0;
    alive.ws.on('ping', () => pinged++);
    clock.advance(30_000);
    await waitFor(() => pinged === 1, 'protocol ping reached the client');
    // A text round trip after the automatic pong proves the server has read the pong.
    alive.ws.send('ping');
    await waitFor(() => alive.of('pong').length === 1, 'pong');
    clock.advance(30_000);
    expect((await quiet.closed).code).toBe(1006);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    expect(await accountClients()).toBe(1);
  });
});

describe('shutdown', () => {
  it('closes clients with 1001 and stops the links', async () => {
    await gateway();
    const c = await client('/ws/orders/primary');
    await gw.stop();
    expect((await c.closed).code).toBe(1001);
    expect([...gw.gateway.links.values()].map((l) => l.status().state)).toEqual(['down', 'down']);
    gw = undefined as unknown as StartedGateway;
  });
});
