/**
 * End to end, per dialect: the simulated broker runs activity while the upstream link is dropped
 * several times; once activity stops, every order a client holds (snapshot plus updates) must
 * equal the broker's authoritative book, with seq gap-free.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Order } from '../src/orders/model.js';
import { type Sim, type SimDialect, startSim } from '../src/sim/index.js';
import { accountFor, brokerBook } from './helpers/dialect-accounts.js';
import { type Client, connect, type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let sim: Sim | undefined;
let gw: StartedGateway | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  await sim?.close();
  gw = sim = undefined;
});

/** What a client knows: the latest version of each order, built from snapshot and updates. */
function clientBook(c: Client, accountId: string): { orders: Map<string, Order>; seqs: number[] } {
  const orders = new Map<string, Order>();
  const seqs: number[] = [];
  for (const f of c.frames) {
    if (f.account_id !== accountId) continue;
    if (f.type === 'snapshot') {
      orders.clear();
      for (const o of f.orders as Order[]) orders.set(o.order_id, o);
      seqs.push(f.seq as number);
    }
    if (f.type === 'order_update') {
      const o = f.data as Order;
      orders.set(o.order_id, o);
      seqs.push(f.seq as number);
    }
  }
  return { orders, seqs };
}

/**
 * An order as compared: everything but the broker's own status word, which Kite spells UPDATE on
 * the stream and OPEN in its REST book for the same state.
 */
const comparable = (m: Map<string, Order>) =>
  Object.fromEntries([...m].map(([id, { broker_status: _b, ...rest }]) => [id, rest]));

async function fault(body: Record<string, unknown>) {
  const res = await fetch(`${sim?.httpUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

describe.each(['ticker-service', 'kite', 'alpaca'] as SimDialect[])('nothing lost (%s)', (dialect) => {
  it('a client ends with exactly the broker book after repeated upstream drops under activity', async () => {
    const accounts = ['primary', 'secondary'];
    sim = await startSim({ accounts, rate: 40, seed: 7, dialect });
    const s = sim;
    gw = await startGateway({
      upstream: { backoff_min_ms: 20, backoff_max_ms: 200 },
      accounts: accounts.map((id) => accountFor(s, id)),
    });
    const g = gw;
    await waitFor(
      () => [...g.gateway.links.values()].every((l) => l.status().state === 'connected'),
      'links up',
    );
    const admin = await connect(`${g.wsUrl}/ws/orders`);
    const primary = await connect(`${g.wsUrl}/ws/orders/primary`);
    clients.push(admin, primary);

    let drops = 0;
    for (let round = 0; round < 4; round++) {
      const before = admin.of('order_update').length;
      await waitFor(() => admin.of('order_update').length >= before + 20, 'activity flowing', 10_000);
      await fault({ account_id: 'primary', kind: 'drop' });
      if (round % 2 === 0) await fault({ account_id: 'secondary', kind: 'drop' });
      drops++;
      await waitFor(
        () => primary.of('upstream_status').filter((u) => u.state === 'reconnecting').length === drops,
        'drop seen',
      );
      await waitFor(
        // One more than the drops: the first was the state at subscribe time.
        () => primary.of('upstream_status').filter((u) => u.state === 'connected').length === drops + 1,
        'back up',
        10_000,
      );
    }

    s.setRate(0);
    await waitFor(() => s.idle(), 'simulator quiescent', 20_000);
    const books = new Map<string, ReturnType<typeof comparable>>();
    for (const account of accounts) books.set(account, comparable(await brokerBook(s, account)));
    for (const account of accounts) {
      const expected = books.get(account);
      await waitFor(
        () => isDeepStrictEqual(comparable(clientBook(admin, account).orders), expected),
        `${account} converged`,
        10_000,
      );
    }
    for (const [client, account] of [
      [admin, 'primary'],
      [admin, 'secondary'],
      [primary, 'primary'],
    ] as const) {
      const expected = books.get(account) ?? {};
      const { orders, seqs } = clientBook(client, account);
      expect(Object.keys(expected).length).toBeGreaterThan(25);
      expect(comparable(orders)).toEqual(expected);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    }
    expect(g.gateway.links.get('primary')?.status().reconnects).toBe(4);
  });
});
