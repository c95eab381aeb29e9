/**
 * The gateway against the simulator speaking Kite and Alpaca: handshakes, auth failures, and
 * gateway-mode batches with rollback through each broker's own order API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchResult } from '../src/batch/schema.js';
import { type Sim, type SimDialect, startSim } from '../src/sim/index.js';
import { accountFor, brokerBook } from './helpers/dialect-accounts.js';
import { type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let sim: Sim | undefined;
let gw: StartedGateway | undefined;

afterEach(async () => {
  await gw?.stop();
  await sim?.close();
  gw = sim = undefined;
});

async function setup(dialect: SimDialect, account: Record<string, unknown> = {}) {
  sim = await startSim({ accounts: ['primary'], rate: 0, seed: 9, dialect });
  gw = await startGateway({
    upstream: { backoff_min_ms: 10, backoff_max_ms: 50 },
    batch: { leg_timeout_ms: 2_000, final_state_timeout_ms: 3_000 },
    accounts: [accountFor(sim, 'primary', account)],
  });
  const link = gw.gateway.links.get('primary');
  if (!link) throw new Error('no link');
  return link;
}

const legs = (symbols: string[]) =>
  symbols.map((s) => ({
    tradingsymbol: s,
    exchange: 'NSE',
    transaction_type: 'BUY',
    quantity: 10,
    order_type: 'LIMIT',
    product: 'CNC',
    price: 101.5,
  }));

async function batch(body: unknown): Promise<BatchResult> {
  const res = await fetch(`${gw?.url}/accounts/primary/batch-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as BatchResult;
}

describe.each(['kite', 'alpaca'] as SimDialect[])('%s', (dialect) => {
  it('completes the handshake, resyncs and relays', async () => {
    const link = await setup(dialect);
    await waitFor(() => link.status().state === 'connected', 'connected');
    sim?.setRate(20);
    await waitFor(() => link.status().frames.update >= 5, 'updates relayed');
    expect(link.status().frames.invalid).toBe(0);
  });

  it('ends in auth_failed when the broker refuses the credentials', async () => {
    const link = await setup(dialect);
    await waitFor(() => link.status().state === 'connected', 'connected');
    sim?.injectFault({ account_id: 'primary', kind: 'auth_fail', count: 100 });
    sim?.injectFault({ account_id: 'primary', kind: 'drop' });
    await waitFor(() => link.status().state === 'auth_failed', 'auth_failed');
    expect(link.status().last_error).toMatch(dialect === 'kite' ? /403/ : /unauthorized/);
    const attempts = link.status().reconnects;
    await new Promise((r) => setTimeout(r, 200));
    expect(link.status().reconnects).toBe(attempts);
  });

  it('places a gateway-mode batch through the broker API', async () => {
    const link = await setup(dialect);
    await waitFor(() => link.status().state === 'connected', 'connected');
    const r = await batch({ orders: legs(['INFY', 'TCS', 'SBIN']) });
    expect(r).toMatchObject({ status: 'success', mode: 'gateway', succeeded: 3 });
    const book = await brokerBook(sim as Sim, 'primary');
    for (const l of r.legs) expect(book.get(l.order_id ?? '')?.status).toBe('open');
  });

  it('rolls back when a leg is rejected, the broker agreeing', async () => {
    const link = await setup(dialect);
    await waitFor(() => link.status().state === 'connected', 'connected');
    sim?.injectFault({ account_id: 'primary', kind: 'reject_next', count: 1, skip: 1 });
    const r = await batch({ orders: legs(['INFY', 'TCS', 'SBIN']) });
    expect(r.status).toBe('rolled_back');
    expect(r.legs.filter((l) => l.status === 'rejected')).toHaveLength(1);
    // Kite took the rejected leg (an order id) and its RMS rejected it later: still not placed.
    expect([r.succeeded, r.failed, r.order_ids.length]).toEqual([2, 1, 2]);
    const book = await brokerBook(sim as Sim, 'primary');
    for (const l of r.legs.filter((x) => x.status === 'cancelled')) {
      expect(book.get(l.order_id ?? '')?.status).toBe('cancelled');
    }
    expect([...book.values()].filter((o) => o.status === 'open')).toEqual([]);
  });
});
