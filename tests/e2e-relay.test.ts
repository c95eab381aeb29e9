/**
 * End to end: the simulated broker runs activity while the upstream link is dropped several
 * times; once activity stops, every order a client holds (snapshot plus updates) must equal the
 * simulator's authoritative book, with seq gap-free.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fromKiteOrder, KiteOrderSchema } from '../src/orders/kite-vocabulary.js';
import type { Order } from '../src/orders/model.js';
import { type Sim, startSim } from '../src/sim/index.js';
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

function simBook(s: Sim, accountId: string): Map<string, Order> {
  const out = new Map<string, Order>();
  for (const raw of s.book(accountId)) {
    const o = fromKiteOrder(KiteOrderSchema.parse(raw), { accountId, timeZone: 'UTC', receivedAt: 'n/a' });
    out.set(o.order_id, o);
  }
  return out;
}

async function fault(body: Record<string, unknown>) {
  const res = await fetch(`${sim?.httpUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

describe('nothing lost', () => {
  it('a client ends with exactly the broker book after repeated upstream drops under activity', async () => {
    const accounts = ['primary', 'secondary'];
    sim = await startSim({ accounts, rate: 40, seed: 7 });
    gw = await startGateway({
      upstream: { backoff_min_ms: 20, backoff_max_ms: 200 },
      accounts: accounts.map((id) => ({ id, ws_url: sim?.wsUrl, rest_url: sim?.httpUrl })),
    });
    await waitFor(
      () => [...(gw?.gateway.links.values() ?? [])].every((l) => l.status().state === 'connected'),
      'links up',
    );
    const admin = await connect(`${gw.wsUrl}/ws/orders`);
    const primary = await connect(`${gw.wsUrl}/ws/orders/primary`);
    clients.push(admin, primary);

    let drops = 0;
    for (let round = 0; round < 4; round++) {
      const before = admin.of('order_update').length;
      await waitFor(() => admin.of('order_update').length >= before + 20, 'activity flowing', 10_000);
      await fault({ account_id: 'primary', kind: 'drop' });
      if (round % 2 === 0) await fault({ account_id: 'secondary', kind: 'drop' });
      drops++;
      await waitFor(
        () => primary.of('upstream_status').filter((s) => s.state === 'reconnecting').length === drops,
        'drop seen',
      );
      await waitFor(
        () => primary.of('upstream_status').filter((s) => s.state === 'connected').length === drops,
        'back up',
        10_000,
      );
    }

    sim.setRate(0);
    await waitFor(() => sim?.idle() === true, 'simulator quiescent', 20_000);
    for (const account of accounts) {
      const expected = Object.fromEntries(simBook(sim, account));
      await waitFor(
        () => isDeepStrictEqual(Object.fromEntries(clientBook(admin, account).orders), expected),
        `${account} converged`,
        10_000,
      );
    }

    for (const [client, account] of [
      [admin, 'primary'],
      [admin, 'secondary'],
      [primary, 'primary'],
    ] as const) {
      const expected = simBook(sim, account);
      const { orders, seqs } = clientBook(client, account);
      expect(expected.size).toBeGreaterThan(25);
      expect(Object.fromEntries(orders)).toEqual(Object.fromEntries(expected));
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    }
    const status = (await (await fetch(`${gw.url}/ws/status`)).json()) as { links: { reconnects: number }[] };
    expect(status.links[0]?.reconnects).toBe(4);
  });
});
