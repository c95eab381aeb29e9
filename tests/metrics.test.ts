/**
 * GET /metrics: every metric the issue names, with its type; its own bearer token; no client JWT;
 * HTTP labels that are route templates, never raw paths; and request ids on every answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, type Verifier } from '../src/auth/jwt.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';
import { type ObservedGateway, type ObservedOptions, startObserved } from './helpers/observed-gateway.js';
import { parseSamples, sampleValue, scrape } from './helpers/prom.js';

let broker: FakeBroker | undefined;
let gw: ObservedGateway | undefined;

afterEach(async () => {
  await gw?.stop();
  await broker?.close();
  gw = broker = undefined;
});

async function start(opts: ObservedOptions = {}): Promise<ObservedGateway> {
  broker = await startFakeBroker();
  const b = broker;
  gw = await startObserved(
    { accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: b.wsUrl, rest_url: b.url })) },
    opts,
  );
  return gw;
}

/** The metrics of the issue, by type. */
const REQUIRED: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  ordergate_upstream_up: 'gauge',
  ordergate_upstream_reconnects_total: 'counter',
  ordergate_upstream_messages_total: 'counter',
  ordergate_upstream_last_message_timestamp_seconds: 'gauge',
  ordergate_resyncs_total: 'counter',
  ordergate_updates_dropped_total: 'counter',
  ordergate_clients: 'gauge',
  ordergate_client_messages_sent_total: 'counter',
  ordergate_client_disconnects_total: 'counter',
  ordergate_resumes_total: 'counter',
  ordergate_relay_latency_seconds: 'histogram',
  ordergate_batches_total: 'counter',
  ordergate_batch_duration_seconds: 'histogram',
  ordergate_batch_legs_total: 'counter',
  ordergate_idempotent_replays_total: 'counter',
  ordergate_http_requests_total: 'counter',
  ordergate_http_request_duration_seconds: 'histogram',
};

describe('GET /metrics', () => {
  it('serves every metric of the issue with its type, in the Prometheus text format', async () => {
    const g = await start();
    const res = await fetch(`${g.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const [name, type] of Object.entries(REQUIRED)) {
      expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    const samples = parseSamples(text);
    // Series with bounded labels exist at 0 from the start, one per configured account.
    expect(sampleValue(samples, 'ordergate_resyncs_total', { account: 'secondary', result: 'error' })).toBe(
      0,
    );
    expect(sampleValue(samples, 'ordergate_client_disconnects_total', { reason: 'rate_limit' })).toBe(0);
    expect(sampleValue(samples, 'ordergate_batches_total', { outcome: 'rolled_back' })).toBe(0);
    const accounts = new Set(samples.flatMap((s) => (s.labels.account ? [s.labels.account] : [])));
    expect([...accounts].sort()).toEqual(['primary', 'secondary']);
  });

  it('requires its own bearer token when metrics.token is set', async () => {
    const g = await start({ metricsToken: 'metrics-s3cret-token' });
    const get = (headers: Record<string, string>) => fetch(`${g.url}/metrics`, { headers });
    const none = await get({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await get({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get({ authorization: 'Basic bWV0cmljcy1zM2NyZXQtdG9rZW4=' })).status).toBe(401);
    const ok = await get({ authorization: 'Bearer metrics-s3cret-token' });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('ordergate_upstream_up');
    expect((await get({ authorization: 'bearer metrics-s3cret-token' })).status).toBe(200);
  });

  it('never needs a client JWT, while the API behind auth does', async () => {
    const rejectAll: Verifier = { verify: () => Promise.reject(new AuthError('bad token')) };
    const g = await start({ verifier: rejectAll });
    expect((await fetch(`${g.url}/ws/status`)).status).toBe(401);
    expect((await fetch(`${g.url}/accounts/primary/orders`)).status).toBe(401);
    expect((await fetch(`${g.url}/metrics`)).status).toBe(200);
    // The 401s are counted under their route templates.
    const samples = parseSamples(await scrape(g.url));
    expect(
      sampleValue(samples, 'ordergate_http_requests_total', { route: '/ws/status', status: '401' }),
    ).toBe(1);
  });

  it('labels HTTP requests by route template and status, never by raw path', async () => {
    const g = await start();
    for (const path of ['/accounts/primary/orders/ORDER-123', '/accounts/ghost/orders', '/nowhere/xyz-42']) {
      expect((await fetch(`${g.url}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${g.url}/health`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${g.url}/health`)).status).toBe(200);
    await scrape(g.url);
    const text = await scrape(g.url);
    const samples = parseSamples(text);
    const req = (labels: Record<string, string>) =>
      sampleValue(samples, 'ordergate_http_requests_total', labels);
    expect(req({ method: 'GET', route: '/accounts/:id/orders/:orderId', status: '404' })).toBe(1);
    expect(req({ method: 'GET', route: '/accounts/:id/orders', status: '404' })).toBe(1);
    expect(req({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(req({ method: 'POST', route: 'unmatched', status: '404' })).toBe(1);
    expect(req({ method: 'GET', route: '/health', status: '200' })).toBe(1);
    expect(req({ method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    expect(
      sampleValue(samples, 'ordergate_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/health',
      }),
    ).toBe(1);
    for (const raw of ['ORDER-123', 'ghost', 'xyz-42']) expect(text).not.toContain(raw);
  });

  it('gives every answer a request id: a sane incoming one, else a fresh one', async () => {
    const g = await start();
    const idOf = async (path: string, sent?: string) =>
      (await fetch(`${g.url}${path}`, { headers: sent ? { 'x-request-id': sent } : {} })).headers.get(
        'x-request-id',
      );
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(await idOf('/health', 'edge-7f3a_b=')).toBe('edge-7f3a_b=');
    expect(await idOf('/health')).toMatch(uuid);
    expect(await idOf('/health', 'has spaces; and <html>')).toMatch(uuid);
    expect(await idOf('/health', 'x'.repeat(129))).toMatch(uuid);
    expect(await idOf('/nowhere', 'trace-404')).toBe('trace-404');
    expect(await idOf('/metrics', 'scrape-1')).toBe('scrape-1');
  });
});
