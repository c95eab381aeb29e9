/**
 * The metrics count what happens: resyncs and the transitions they recover, dropped updates,
 * relay latency once per update (not per client), messages sent per stream, disconnects,
 * resumes, and batches with their legs and idempotent replays.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Sim, startSim } from '../src/sim/index.js';
import { type FakeBroker, rawOrder, startFakeBroker } from './helpers/fake-broker.js';
import { linksUp, type ObservedGateway, startObserved } from './helpers/observed-gateway.js';
import { parseSamples, type Sample, sampleValue, scrape } from './helpers/prom.js';
import { type Client, connect } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let broker: FakeBroker | undefined;
let sim: Sim | undefined;
let gw: ObservedGateway | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  await broker?.close();
  await sim?.close();
  gw = broker = sim = undefined;
});

const order = rawOrder;

async function withBroker(): Promise<ObservedGateway> {
  broker = await startFakeBroker();
  broker.book.set('primary', [order('A'), order('B', { status: 'COMPLETE', filled_quantity: 10 })]);
  const b = broker;
  gw = await startObserved({
    upstream: { backoff_min_ms: 10, backoff_max_ms: 50 },
    accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: b.wsUrl, rest_url: b.url })),
  });
  await waitFor(linksUp(gw.gateway), 'links up');
  return gw;
}

const samplesOf = async (g: ObservedGateway): Promise<Sample[]> => parseSamples(await scrape(g.url));

describe('metrics under traffic', () => {
  it('count resyncs, recovered transitions and dropped updates per account', async () => {
    const g = await withBroker();
    const b = broker as FakeBroker;
    b.send('primary', order('A')); // unchanged: duplicate
    b.send('primary', order('B', { status: 'OPEN' })); // after COMPLETE: stale
    b.send('primary', order('C')); // new
    await waitFor(() => g.gateway.links.get('primary')?.status().frames.update === 3, 'three updates');
    b.snapshotStatus = 500;
    b.dropAll();
    await waitFor(() => (g.gateway.links.get('primary')?.status().reconnects ?? 0) >= 2, 'failed resyncs');
    b.snapshotStatus = 200;
    await waitFor(linksUp(g.gateway), 'links up again');
    const s = await samplesOf(g);
    const v = (name: string, labels: Record<string, string>) => sampleValue(s, name, labels);
    expect(v('ordergate_resync_recovered_transitions_total', { account: 'primary' })).toBe(2);
    expect(v('ordergate_resync_recovered_transitions_total', { account: 'secondary' })).toBe(0);
    expect(v('ordergate_updates_dropped_total', { account: 'primary', reason: 'duplicate' })).toBeGreaterThan(
      0,
    );
    expect(v('ordergate_updates_dropped_total', { account: 'primary', reason: 'stale' })).toBe(1);
    expect(v('ordergate_resyncs_total', { account: 'primary', result: 'error' })).toBeGreaterThan(0);
    expect(v('ordergate_resyncs_total', { account: 'primary', result: 'ok' })).toBe(2);
    expect(v('ordergate_updates_published_total', { account: 'primary' })).toBe(3);
    expect(v('ordergate_upstream_up', { account: 'primary' })).toBe(1);
    expect(v('ordergate_upstream_state', { account: 'primary', state: 'connected' })).toBe(1);
    expect(v('ordergate_upstream_state', { account: 'primary', state: 'reconnecting' })).toBe(0);
  });

  it('observe relay latency once per update and count messages sent per stream', async () => {
    const g = await withBroker();
    const b = broker as FakeBroker;
    for (let i = 0; i < 3; i++) clients.push(await connect(`${g.wsUrl}/ws/orders/primary`));
    await waitFor(() => clients.every((c) => c.of('snapshot').length === 1), 'snapshots');
    for (let i = 0; i < 5; i++) b.send('primary', order(`N${i}`));
    await waitFor(() => clients.every((c) => c.of('order_update').length === 5), 'updates');
    const s = await samplesOf(g);
    expect(sampleValue(s, 'ordergate_relay_latency_seconds_count')).toBe(5);
    expect(sampleValue(s, 'ordergate_relay_latency_seconds_bucket', { le: '+Inf' })).toBe(5);
    // Each client: connected, subscribed, snapshot, upstream_status, then five updates.
    expect(sampleValue(s, 'ordergate_client_messages_sent_total', { stream: 'account' })).toBe(3 * (4 + 5));
    expect(sampleValue(s, 'ordergate_client_messages_sent_total', { stream: 'all' })).toBe(0);
    expect(sampleValue(s, 'ordergate_clients', { stream: 'account' })).toBe(3);
  });

  it('count disconnects by reason and resumes by whether history covered them', async () => {
    const g = await withBroker();
    const first = await connect(`${g.wsUrl}/ws/orders/primary`);
    clients.push(first);
    await waitFor(() => first.of('snapshot').length === 1, 'snapshot');
    const { epoch } = first.of('connected')[0] as { epoch: string };
    const seq = (first.of('subscribed')[0] as { seq: number }).seq;
    first.ws.close();
    await first.closed;
    const resumed = await connect(`${g.wsUrl}/ws/orders/primary?since_seq=${seq}&epoch=${epoch}`);
    const fresh = await connect(`${g.wsUrl}/ws/orders/primary?since_seq=${seq}&epoch=other`);
    clients.push(resumed, fresh);
    await waitFor(() => resumed.of('subscribed').length === 1 && fresh.of('snapshot').length === 1, 'subs');
    let s = await samplesOf(g);
    expect(sampleValue(s, 'ordergate_resumes_total', { recovered: 'true' })).toBe(1);
    expect(sampleValue(s, 'ordergate_resumes_total', { recovered: 'false' })).toBe(1);
    // The server sees the close a moment after the client does.
    for (let i = 0; i < 100 && sampleValue(s, 'ordergate_clients', { stream: 'account' }) !== 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
      s = await samplesOf(g);
    }
    expect(sampleValue(s, 'ordergate_clients', { stream: 'account' })).toBe(2);
    expect(sampleValue(s, 'ordergate_client_disconnects_total', { reason: 'client' })).toBe(1);
    expect(sampleValue(s, 'ordergate_client_disconnects_total', { reason: 'slow_consumer' })).toBe(0);
  });

  it('count batches by outcome, their legs and idempotent replays', async () => {
    sim = await startSim({ accounts: ['primary', 'secondary'], rate: 0, seed: 3 });
    const sm = sim;
    gw = await startObserved({
      accounts: [
        { id: 'primary', ws_url: sm.wsUrl, rest_url: sm.httpUrl, batch_mode: 'native' },
        { id: 'secondary', ws_url: sm.wsUrl, rest_url: sm.httpUrl, batch_mode: 'gateway' },
      ],
    });
    const g = gw;
    await waitFor(linksUp(g.gateway), 'links up');
    const legs = ['NIFTY24DEC23800PE', 'NIFTY24DEC24200CE'].map((tradingsymbol) => ({
      tradingsymbol,
      exchange: 'NFO',
      transaction_type: 'BUY',
      quantity: 50,
      order_type: 'LIMIT',
      product: 'NRML',
      price: 100,
    }));
    const post = (account: string, key: string) =>
      fetch(`${g.url}/accounts/${account}/batch-orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ orders: legs }),
      });
    expect((await post('primary', 'k1')).status).toBe(200);
    expect((await post('secondary', 'k2')).status).toBe(200);
    const replay = await post('primary', 'k1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const s = await samplesOf(g);
    expect(sampleValue(s, 'ordergate_batches_total', { outcome: 'success' })).toBe(2);
    expect(sampleValue(s, 'ordergate_batches_total', { outcome: 'partial' })).toBe(0);
    expect(sampleValue(s, 'ordergate_batch_legs_total', { result: 'placed' })).toBe(4);
    expect(sampleValue(s, 'ordergate_batch_duration_seconds_count')).toBe(2);
    expect(sampleValue(s, 'ordergate_idempotent_replays_total')).toBe(1);
  });
});
