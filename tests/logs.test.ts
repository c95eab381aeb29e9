/**
 * Logs: JSON lines at the configured level; one line per HTTP request with its request id at
 * debug (info for a 5xx); link state changes at info and nothing per message at info; secrets
 * (broker credentials, the metrics token, client tokens in headers or query strings) never
 * written, and redacted by path when a logged object carries them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../src/util/log.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';
import { linksUp, type ObservedGateway, startObserved } from './helpers/observed-gateway.js';
import { type Client, connect } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let broker: FakeBroker | undefined;
let gw: ObservedGateway | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  await broker?.close();
  gw = broker = undefined;
});

type Entry = Record<string, unknown> & { level: number; msg: string };

/** A JSON logger at `level` whose lines are kept in memory. */
function capture(level: string): { log: Logger; raw: string[]; entries: () => Entry[] } {
  const raw: string[] = [];
  const log = createLogger({ level, destination: { write: (s: string) => raw.push(s) } });
  return { log, raw, entries: () => raw.map((l) => JSON.parse(l) as Entry) };
}

const INFO = 30;
const order = (id: string) => ({
  order_id: id,
  tradingsymbol: 'INFY',
  transaction_type: 'BUY' as const,
  status: 'OPEN',
  quantity: 1,
  filled_quantity: 0,
});

async function start(level: string, opts: { metricsToken?: string } = {}) {
  const logs = capture(level);
  broker = await startFakeBroker();
  const b = broker;
  gw = await startObserved(
    {
      upstream: { backoff_min_ms: 10, backoff_max_ms: 50 },
      accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: b.wsUrl, rest_url: b.url })),
    },
    { log: logs.log, ...opts },
  );
  await waitFor(linksUp(gw.gateway), 'links up');
  return { g: gw, b, ...logs };
}

describe('logs', () => {
  it('log each HTTP request once at debug, with the request id the response carries', async () => {
    const { g, entries } = await start('debug');
    const res = await fetch(`${g.url}/accounts/primary/orders/X-1?token=abc`, {
      headers: { 'x-request-id': 'req-42' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    const lines = entries().filter((e) => e.msg === 'http request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      service: 'ordergate',
      req_id: 'req-42',
      method: 'GET',
      route: '/accounts/:id/orders/:orderId',
      path: '/accounts/primary/orders/X-1',
      status: 404,
    });
    expect(typeof lines[0]?.ms).toBe('number');
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('at info: link state changes and 5xx answers, nothing per message or per request', async () => {
    const { g, b, entries } = await start('info');
    clients.push(await connect(`${g.wsUrl}/ws/orders/primary`));
    for (let i = 0; i < 20; i++) b.send('primary', order(`O-${i}`));
    await waitFor(() => clients[0]?.of('order_update').length === 20, 'updates relayed');
    for (let i = 0; i < 5; i++) await (await fetch(`${g.url}/health`)).arrayBuffer();
    b.dropAll();
    await waitFor(() => (g.gateway.links.get('primary')?.status().reconnects ?? 0) === 1, 'reconnect');
    await waitFor(linksUp(g.gateway), 'links up again');
    await b.close();
    await waitFor(() => !linksUp(g.gateway)(), 'links down');
    const ready = await fetch(`${g.url}/ready`);
    expect(ready.status).toBe(503);

    const all = entries();
    expect(all.every((e) => e.level >= INFO)).toBe(true);
    const states = all.filter((e) => e.msg === 'upstream link state' && e.account === 'primary');
    expect(states.map((e) => `${e.from}>${e.to}`)).toEqual(
      expect.arrayContaining(['connecting>connected', 'connected>reconnecting', 'reconnecting>connected']),
    );
    expect(all.filter((e) => e.msg === 'http request')).toEqual([
      expect.objectContaining({ level: INFO, route: '/ready', status: 503 }),
    ]);
    expect(all.some((e) => JSON.stringify(e).includes('O-1'))).toBe(false);
    expect(all.length).toBeLessThan(40);
  });

  it('never write a secret: broker credentials, the metrics token, client tokens', async () => {
    const { g, b, raw } = await start('trace', { metricsToken: 'metrics-token-5ecret' });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA';
    await fetch(`${g.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-5ecret' } });
    await fetch(`${g.url}/metrics`, { headers: { authorization: 'Bearer wrong-metrics-guess' } });
    await fetch(`${g.url}/accounts/primary/orders?token=${jwt}`, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    clients.push(await connect(`${g.wsUrl}/ws/orders/primary?token=${jwt}`));
    b.refuseWith = 401;
    b.dropAll();
    await waitFor(() => g.gateway.links.get('primary')?.status().state === 'auth_failed', 'auth failed');
    const out = raw.join('');
    expect(out.length).toBeGreaterThan(0);
    for (const secret of ['metrics-token-5ecret', 'wrong-metrics-guess', jwt, 'broker-credential-1234']) {
      expect(out).not.toContain(secret);
    }
  });

  it('redact secret fields by path in anything logged', () => {
    const { log, raw } = capture('info');
    log.info(
      {
        credentials: { api_key: 'k1' },
        account: { credentials: { token: 't1' } },
        metrics: { token: 'm1' },
        auth: { hs256_secret: 's1' },
        authorization: 'Bearer a1',
        headers: { authorization: 'Bearer a2', cookie: 'c1' },
        alpaca: { secret_key: 'sk1' },
      },
      'with secrets',
    );
    const line = raw.join('');
    for (const secret of ['k1', 't1', 'm1', 's1', 'a1', 'a2', 'c1', 'sk1'])
      expect(line).not.toContain(`${secret}"`);
    expect(line).toContain('[redacted]');
  });
});
