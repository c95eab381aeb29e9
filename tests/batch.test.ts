/**
 * Batch orders against the simulated broker and its faults: native and gateway paths,
 * rollback, partial exposure, timeouts resolved by client id, idempotency, validation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchResult } from '../src/batch/schema.js';
import { type Sim, startSim } from '../src/sim/index.js';
import { type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let sim: Sim;
let gw: StartedGateway;

const leg = (symbol: string, patch: Record<string, unknown> = {}) => ({
  tradingsymbol: symbol,
  exchange: 'NFO',
  transaction_type: 'BUY',
  quantity: 50,
  order_type: 'LIMIT',
  product: 'NRML',
  price: 100,
  ...patch,
});
const condor = [
  leg('NIFTY24DEC23800PE'),
  leg('NIFTY24DEC23900PE'),
  leg('NIFTY24DEC24100CE'),
  leg('NIFTY24DEC24200CE'),
];

async function post(account: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}/accounts/${account}/batch-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as BatchResult & { error?: { code: string; details?: unknown } },
  };
}

const simStatus = (account: string, orderId: string | null) =>
  sim.book(account).find((o) => o.order_id === orderId)?.status;

async function start(batch: Record<string, unknown> = {}, upstream: Record<string, unknown> = {}) {
  sim = await startSim({ accounts: ['primary', 'secondary'], rate: 0, seed: 11 });
  gw = await startGateway({
    upstream,
    batch: { leg_timeout_ms: 2_000, final_state_timeout_ms: 3_000, ...batch },
    accounts: [
      { id: 'primary', ws_url: sim.wsUrl, rest_url: sim.httpUrl, batch_mode: 'native' },
      { id: 'secondary', ws_url: sim.wsUrl, rest_url: sim.httpUrl, batch_mode: 'gateway' },
    ],
  });
  await waitFor(
    () => [...gw.gateway.links.values()].every((l) => l.status().state === 'connected'),
    'links up',
  );
}

afterEach(async () => {
  await gw?.stop();
  await sim?.close();
});

describe('batch orders', () => {
  beforeEach(() => start());

  it.each(['primary', 'secondary'])('places every leg on %s (native, then gateway mode)', async (account) => {
    const r = await post(account, { orders: condor });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'success',
      account_id: account,
      mode: account === 'primary' ? 'native' : 'gateway',
      total_orders: 4,
      succeeded: 4,
      failed: 0,
      completed_at: expect.any(String),
    });
    expect(r.body.legs.map((l) => l.status)).toEqual(['placed', 'placed', 'placed', 'placed']);
    for (const l of r.body.legs) expect(simStatus(account, l.order_id)).toBe('OPEN');
    const stored = await (
      await fetch(`${gw.url}/accounts/${account}/batch-orders/${r.body.batch_id}`)
    ).json();
    expect(stored).toEqual(r.body);
  });

  it.each(['primary', 'secondary'])('rolls back on %s when leg 3 of 4 is rejected', async (account) => {
    sim.injectFault({ account_id: account, kind: 'reject_next', count: 1, skip: 2 });
    const r = await post(account, { orders: condor });
    expect(r.body.status).toBe('rolled_back');
    const rejected = r.body.legs.filter((l) => l.status === 'rejected');
    expect(rejected).toHaveLength(account === 'primary' ? 2 : 1); // native stops at the rejection
    const cancelled = r.body.legs.filter((l) => l.status === 'cancelled');
    expect(cancelled.length).toBe(4 - rejected.length);
    for (const l of cancelled) expect(simStatus(account, l.order_id)).toBe('CANCELLED');
    expect(sim.book(account).filter((o) => o.status === 'OPEN')).toEqual([]);
  });

  it.each(['primary', 'secondary'])(
    'reports partial on %s when a leg filled before the rollback',
    async (account) => {
      sim.injectFault({ account_id: account, kind: 'fill_on_place', count: 1 });
      sim.injectFault({ account_id: account, kind: 'reject_next', count: 1, skip: 1 });
      const r = await post(account, { orders: condor.slice(0, 3) });
      expect(r.body.status).toBe('partial');
      const filled = r.body.legs.filter((l) => l.status === 'filled');
      expect(filled).toHaveLength(1);
      expect(filled[0]?.filled_quantity).toBe(50);
      expect(simStatus(account, filled[0]?.order_id ?? null)).toBe('COMPLETE');
      for (const l of r.body.legs.filter((x) => x.status === 'cancelled'))
        expect(simStatus(account, l.order_id)).toBe('CANCELLED');
      expect(sim.book(account).filter((o) => o.status === 'OPEN')).toEqual([]);
    },
  );

  it('keeps placed legs and says partial when rollback is off', async () => {
    sim.injectFault({ account_id: 'secondary', kind: 'reject_next', count: 1, skip: 1 });
    const r = await post('secondary', { orders: condor.slice(0, 2), rollback_on_failure: false });
    expect(r.body.status).toBe('partial');
    const placed = r.body.legs.find((l) => l.status === 'placed');
    expect(simStatus('secondary', placed?.order_id ?? null)).toBe('OPEN');
  });

  it('answers failed when every leg is rejected', async () => {
    sim.injectFault({ account_id: 'secondary', kind: 'reject_next', count: 2 });
    const r = await post('secondary', { orders: condor.slice(0, 2) });
    expect(r.body).toMatchObject({ status: 'failed', succeeded: 0, failed: 2, order_ids: [] });
  });

  it('lets batch legs flow to subscribed clients like any other update', async () => {
    const { connect } = await import('./helpers/start-gateway.js');
    const client = await connect(`${gw.wsUrl}/ws/orders/secondary`);
    const r = await post('secondary', { orders: condor.slice(0, 2) });
    await waitFor(() => client.of('order_update').length >= 2, 'leg updates');
    const ids = client.of('order_update').map((u) => (u.data as { order_id: string }).order_id);
    expect(ids).toEqual(expect.arrayContaining(r.body.order_ids));
    client.ws.terminate();
  });
});

describe('timeouts', () => {
  beforeEach(() => start({ leg_timeout_ms: 300 }));

  it('resolves a leg whose placement timed out by looking it up by client id', async () => {
    sim.injectFault({ account_id: 'secondary', kind: 'rest_latency', latency_ms: 1_500, count: 1 });
    const r = await post('secondary', { orders: condor.slice(0, 2) });
    expect(r.body.status).toBe('success');
    expect(r.body.legs.every((l) => l.status === 'placed' && l.order_id)).toBe(true);
    const resolved = r.body.legs.filter((l) => l.error !== null);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.error).toMatch(/^no answer: POST .* failed: .*; found by client id$/);
    for (const l of r.body.legs)
      expect(sim.book('secondary').find((o) => o.tag === l.client_order_id)?.order_id).toBe(l.order_id);
  });
});

describe('a broker that stops answering', () => {
  beforeEach(() => start({ leg_timeout_ms: 200 }, { rest_timeout_ms: 200 }));

  it('reports a leg it cannot find as unknown, never as failed, and the batch as partial', async () => {
    sim.injectFault({ account_id: 'secondary', kind: 'rest_latency', latency_ms: 1_000, count: 1_000 });
    const r = await post('secondary', { orders: condor.slice(0, 2) });
    expect(r.body.status).toBe('partial');
    expect(r.body.legs.map((l) => l.status)).toEqual(['unknown', 'unknown']);
    expect(r.body.legs[0]?.error).toMatch(/lookup failed/);
    // They did reach the broker: that is why "unknown" and not "rejected".
    expect(sim.book('secondary')).toHaveLength(2);
  });
});

describe('idempotency', () => {
  beforeEach(() => start());

  it('replays the stored answer for the same key and body, without placing again', async () => {
    const body = { orders: condor.slice(0, 2) };
    const first = await post('secondary', body, { 'Idempotency-Key': 'k-1' });
    const again = await post(
      'secondary',
      { rollback_on_failure: true, orders: condor.slice(0, 2) },
      { 'Idempotency-Key': 'k-1' },
    );
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(sim.book('secondary')).toHaveLength(2);
  });

  it('answers 422 for the same key with a different body', async () => {
    await post('secondary', { orders: condor.slice(0, 1) }, { 'Idempotency-Key': 'k-2' });
    const other = await post('secondary', { orders: condor.slice(0, 2) }, { 'Idempotency-Key': 'k-2' });
    expect(other.status).toBe(422);
    expect(other.body.error?.code).toBe('idempotency_mismatch');
    expect(sim.book('secondary')).toHaveLength(1);
  });

  it('answers 409 while the first request with the key still runs', async () => {
    sim.injectFault({ account_id: 'secondary', kind: 'rest_latency', latency_ms: 500, count: 1 });
    const body = { orders: condor.slice(0, 1) };
    const first = post('secondary', body, { 'Idempotency-Key': 'k-3' });
    await waitFor(() => sim.book('secondary').length === 1, 'first placement reached the broker');
    const second = await post('secondary', body, { 'Idempotency-Key': 'k-3' });
    expect(second.status).toBe(409);
    expect((await first).status).toBe(200);
    expect(sim.book('secondary')).toHaveLength(1);
  });

  it('scopes keys per account', async () => {
    const body = { orders: condor.slice(0, 1) };
    const a = await post('primary', body, { 'Idempotency-Key': 'shared' });
    const b = await post('secondary', body, { 'Idempotency-Key': 'shared' });
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.body.batch_id).not.toBe(a.body.batch_id);
  });
});

describe('bad requests', () => {
  beforeEach(() => start());

  it.each([
    ['not JSON', '{', 400, 'invalid_request'],
    ['no legs', { orders: [] }, 400, 'invalid_request'],
    ['a LIMIT leg without price', { orders: [leg('X', { price: undefined })] }, 400, 'invalid_request'],
  ])('%s → %s and nothing sent', async (_name, body, status, code) => {
    const r = await post('secondary', body);
    expect(r.status).toBe(status);
    expect(r.body.error?.code).toBe(code);
    expect(sim.book('secondary')).toHaveLength(0);
  });

  it('lists every problem with its path', async () => {
    const r = await post('secondary', {
      orders: [leg('A', { price: undefined, quantity: 0 }), leg('B', { order_type: 'SL' })],
    });
    expect(r.body.error?.details).toEqual(
      expect.arrayContaining([
        { path: 'orders.0.quantity', message: expect.any(String) },
        { path: 'orders.0.price', message: 'required for LIMIT' },
        { path: 'orders.1.trigger_price', message: 'required for SL' },
      ]),
    );
  });

  it('answers 404 for an unknown account and for an unknown batch', async () => {
    expect((await post('ghost', { orders: condor })).status).toBe(404);
    expect((await fetch(`${gw.url}/accounts/secondary/batch-orders/nope`)).status).toBe(404);
  });
});

describe('shutdown', () => {
  beforeEach(() => start());

  it('lets a batch in flight finish before the gateway stops', async () => {
    sim.injectFault({ account_id: 'secondary', kind: 'rest_latency', latency_ms: 300, count: 2 });
    const pending = post('secondary', { orders: condor.slice(0, 2) });
    await waitFor(() => sim.book('secondary').length === 2, 'legs at the broker');
    const stopping = gw.stop();
    const r = await pending;
    await stopping;
    gw = { stop: async () => {} } as unknown as StartedGateway;
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('success');
  });
});

describe("the broker's order rate", () => {
  it('refuses with 429 a batch whose legs would wait longer than a leg timeout, sending nothing', async () => {
    sim = await startSim({ accounts: ['primary'], rate: 0, seed: 1 });
    gw = await startGateway({
      batch: { leg_timeout_ms: 2_000 },
      accounts: [
        {
          id: 'primary',
          ws_url: sim.wsUrl,
          rest_url: sim.httpUrl,
          batch_mode: 'gateway',
          order_rate_per_s: 2,
        },
      ],
    });
    const many = Array.from({ length: 10 }, (_, i) => leg(`SYM${i}`));
    const r = await post('primary', { orders: many }, { 'Idempotency-Key': 'k-rate' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(sim.book('primary')).toHaveLength(0);
    const fits = await post('primary', { orders: many.slice(0, 4) }, { 'Idempotency-Key': 'k-rate-2' });
    expect(fits.body.status).toBe('success');
  });
});

describe('unreachable broker', () => {
  it('fails fast with 503 and Retry-After, placing nothing and keeping no key', async () => {
    sim = await startSim({ accounts: ['primary'], rate: 0, seed: 1 });
    gw = await startGateway({
      accounts: [{ id: 'primary', ws_url: sim.wsUrl, rest_url: 'http://127.0.0.1:9', batch_mode: 'gateway' }],
    });
    const r = await post('primary', { orders: condor.slice(0, 2) }, { 'Idempotency-Key': 'k-down' });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body.error?.code).toBe('upstream_unavailable');
    const retry = await post('primary', { orders: condor.slice(0, 2) }, { 'Idempotency-Key': 'k-down' });
    expect(retry.status).toBe(503);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });
});
