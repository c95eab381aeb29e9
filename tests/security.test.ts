/**
 * Bad inputs against a gateway with authentication, each with its expected answer, all run for
 * real over sockets: tokens, accounts, scopes, origins, sizes, caps and rate floods.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { mintToken } from '../src/auth/jwt.js';
import type { Scope } from '../src/auth/principal.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { type Client, connect, type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

const SECRET = 'test-jwt-secret-0123456789';
let broker: FakeBroker;
let gw: StartedGateway;
let clock: FakeClock;
let logs: string;
const clients: Client[] = [];

const token = (
  o: {
    sub?: string;
    accounts?: '*' | string[];
    scopes?: Scope[];
    ttl?: number;
    secret?: string;
    audience?: string;
  } = {},
) =>
  mintToken({
    secret: o.secret ?? SECRET,
    sub: o.sub ?? 'alice',
    accounts: o.accounts ?? ['primary'],
    scopes: o.scopes ?? ['orders:read', 'orders:write'],
    ttlSeconds: o.ttl ?? 300,
    audience: o.audience ?? 'ordergate',
    now: o.ttl !== undefined && o.ttl < 0 ? () => Date.now() : undefined,
  });

async function start(security: Record<string, unknown> = {}) {
  broker = await startFakeBroker();
  clock = createFakeClock(Date.now());
  logs = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk;
      done();
    },
  });
  gw = await startGateway(
    {
      auth: { hs256_secret: SECRET, audience: 'ordergate' },
      security: { cors_origins: ['https://desk.example'], ...security },
      downstream: { heartbeat_ms: 3_600_000 },
      accounts: ['primary', 'secondary'].map((id) => ({
        id,
        ws_url: broker.wsUrl,
        rest_url: broker.url,
        credentials: { token: `broker-secret-${id}` },
      })),
    },
    { clock, log: pino({ level: 'debug' }, sink) },
  );
  await waitFor(
    () => [...gw.gateway.links.values()].every((l) => l.status().state === 'connected'),
    'links up',
  );
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  await broker?.close();
});

/**
 * Moves the gateway's clock in heartbeat-sized steps, the client proving itself alive at each
 * (one big jump would look like a client that stopped answering pings).
 */
async function advance(ms: number, c: Client) {
  const step = 3_600_000;
  for (let done = 0; done < ms && c.ws.readyState === WebSocket.OPEN; done += step) {
    const pongs = c.of('pong').length;
    c.ws.send('ping');
    await waitFor(() => c.of('pong').length > pongs || c.ws.readyState !== WebSocket.OPEN, 'pong');
    clock.advance(Math.min(step, ms - done));
  }
  await new Promise((r) => setTimeout(r, 5));
}

/** The HTTP status of a refused upgrade, or 101 when it was accepted. */
function upgradeStatus(
  path: string,
  headers: Record<string, string> = {},
  protocols?: string[],
): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${gw.wsUrl}${path}`, protocols, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', () => {});
  });
}

async function client(path: string, options?: ConstructorParameters<typeof WebSocket>[2]) {
  const c = await connect(`${gw.wsUrl}${path}`, options);
  clients.push(c);
  return c;
}

const get = async (path: string, tok?: string) =>
  fetch(`${gw.url}${path}`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });

describe('REST', () => {
  beforeEach(() => start({ batches_per_s: 1, batch_burst: 2 }));

  it.each([
    ['no token', 401, async () => undefined, '/accounts/primary/orders'],
    ['a bad signature', 401, () => token({ secret: 'someone-elses-secret' }), '/accounts/primary/orders'],
    ['an expired token', 401, () => token({ ttl: -60 }), '/accounts/primary/orders'],
    ['the wrong audience', 401, () => token({ audience: 'another-service' }), '/accounts/primary/orders'],
    ['a good token', 200, () => token(), '/accounts/primary/orders'],
    ["another account's orders", 403, () => token(), '/accounts/secondary/orders'],
    ['an unknown account, limited token', 403, () => token(), '/accounts/ghost/orders'],
    [
      'an unknown account, every-account token',
      404,
      () => token({ accounts: '*' }),
      '/accounts/ghost/orders',
    ],
    [
      'a token without orders:read',
      403,
      () => token({ scopes: ['orders:write'] }),
      '/accounts/primary/orders',
    ],
    ['status without a token', 401, async () => undefined, '/ws/status'],
    ['health without a token', 200, async () => undefined, '/health'],
  ])('%s → %i', async (_name, status, makeToken, path) => {
    const res = await get(path, await makeToken());
    expect(res.status).toBe(status);
  });

  it('keeps batches to the token holder: another account, a missing scope', async () => {
    const body = JSON.stringify({ orders: [] });
    const post = async (account: string, tok: string) =>
      (
        await fetch(`${gw.url}/accounts/${account}/batch-orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
          body,
        })
      ).status;
    expect(await post('secondary', await token())).toBe(403);
    expect(await post('primary', await token({ scopes: ['orders:read'] }))).toBe(403);
    expect(await post('primary', await token())).toBe(400);
  });

  it('answers an oversized body with 413', async () => {
    const res = await fetch(`${gw.url}/accounts/primary/batch-orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orders: [], pad: 'x'.repeat(70_000) }),
    });
    expect(res.status).toBe(413);
  });

  it('rate-limits batch posts per subject with 429 and Retry-After', async () => {
    const tok = await token();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${gw.url}/accounts/primary/batch-orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.push(res.status);
      retryAfter ??= res.headers.get('retry-after');
    }
    expect(statuses).toEqual([400, 400, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const other = await fetch(`${gw.url}/accounts/primary/batch-orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token({ sub: 'bob' })}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(other.status).toBe(400);
  });

  it('sends security headers, and CORS only to allowed origins', async () => {
    const allowed = await fetch(`${gw.url}/health`, { headers: { origin: 'https://desk.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://desk.example');
    expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    const other = await fetch(`${gw.url}/health`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('shows non-admins only their links, and no upstream credentials to anyone', async () => {
    const mine = await (await get('/ws/status', await token())).json();
    expect(mine).toEqual({
      links: [{ account_id: 'primary', state: 'connected', since: expect.any(String) }],
    });
    broker.refuseWith = 401;
    broker.dropAll();
    await waitFor(() => gw.gateway.links.get('primary')?.status().state === 'reconnecting', 'dropped');
    clock.advance(5_000);
    await waitFor(() => gw.gateway.links.get('primary')?.status().state === 'auth_failed', 'auth_failed');
    const admin = await (await get('/ws/status', await token({ accounts: '*', scopes: ['admin'] }))).text();
    expect(admin).toContain('"links"');
    expect(admin).toContain('auth_failed');
    for (const text of [admin, logs]) {
      expect(text).not.toContain('broker-secret');
      expect(text).not.toContain(SECRET);
    }
  });
});

describe('WebSocket', () => {
  beforeEach(() =>
    start({
      max_subscriptions_per_connection: 3,
      max_connections_per_subject: 2,
      ws_messages_per_s: 5,
      ws_message_burst: 5,
    }),
  );

  const upgrades: [string, number, () => Promise<string>, Record<string, string>][] = [
    ['no token', 401, async () => '/ws/orders/primary', {}],
    [
      'a bad token',
      401,
      async () => `/ws/orders/primary?token=${await token({ secret: 'nope-nope-nope' })}`,
      {},
    ],
    ['an expired token', 401, async () => `/ws/orders/primary?token=${await token({ ttl: -60 })}`, {}],
    ["another account's path", 403, async () => `/ws/orders/secondary?token=${await token()}`, {}],
    [
      'a non-admin on the admin stream',
      403,
      async () => `/ws/orders?token=${await token({ accounts: '*' })}`,
      {},
    ],
    [
      'an admin on the admin stream',
      101,
      async () => `/ws/orders?token=${await token({ scopes: ['admin'] })}`,
      {},
    ],
    [
      'a bad Origin',
      403,
      async () => `/ws/orders/primary?token=${await token()}`,
      { origin: 'https://evil.example' },
    ],
    [
      'an allowed Origin',
      101,
      async () => `/ws/orders/primary?token=${await token()}`,
      { origin: 'https://desk.example' },
    ],
  ];
  it.each(upgrades)('upgrade with %s → %i', async (_name, status, path, headers) => {
    expect(await upgradeStatus(await path(), headers)).toBe(status);
  });

  it('takes the token from the Authorization header or the bearer subprotocol', async () => {
    const tok = await token();
    expect(await upgradeStatus('/ws/orders/primary', { authorization: `Bearer ${tok}` })).toBe(101);
    const viaProtocol = new WebSocket(`${gw.wsUrl}/ws/orders/primary`, ['bearer', tok]);
    await new Promise((r) => viaProtocol.once('open', r));
    expect(viaProtocol.protocol).toBe('bearer');
    viaProtocol.terminate();
  }, 10_000);

  it('answers a subscribe to another account with forbidden and nothing else', async () => {
    const c = await client(`/ws?token=${await token()}`);
    c.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'secondary' }));
    c.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'primary' }));
    await waitFor(() => c.of('snapshot').length === 1, 'own account');
    broker.send('secondary', {
      order_id: 'S1',
      tradingsymbol: 'X',
      transaction_type: 'BUY',
      status: 'OPEN',
      quantity: 1,
      filled_quantity: 0,
    });
    broker.send('primary', {
      order_id: 'P1',
      tradingsymbol: 'X',
      transaction_type: 'BUY',
      status: 'OPEN',
      quantity: 1,
      filled_quantity: 0,
    });
    await waitFor(() => c.of('order_update').length === 1, 'own update');
    expect(c.of('error').map((e) => e.code)).toEqual(['forbidden']);
    expect(c.frames.some((f) => f.account_id === 'secondary')).toBe(false);
  });

  it('closes a connection whose token lives longer than a timer can wait only when it expires', async () => {
    const c = await client(`/ws/orders/primary?token=${await token({ ttl: 30 * 86_400 })}`);
    await waitFor(() => c.of('snapshot').length === 1, 'subscribed');
    await advance(25 * 86_400_000, c); // past the 24.8 days a single timer can wait
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await advance(6 * 86_400_000, c);
    expect((await c.closed).code).toBe(4001);
  });

  it('closes a connection whose token expires with 4001', async () => {
    const c = await client(`/ws/orders/primary?token=${await token({ ttl: 60 })}`);
    await waitFor(() => c.of('snapshot').length === 1, 'subscribed');
    // exp plus the configured clock tolerance (5 s)
    await advance(64_000, c);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await advance(2_000, c);
    expect((await c.closed).code).toBe(4001);
  });

  it('does not keep a session whose token expired between the upgrade and the session start', async () => {
    // The verifier reads the real time and sessions the gateway's clock. With that clock moved
    // past the token's expiry, a token still valid at the upgrade has expired when its session
    // starts: it ends at once, and must not stay counted (or in the heartbeat) afterwards.
    const tok = await token({ ttl: 60 });
    clock.advance(120_000);
    const c = await client(`/ws/orders/primary?token=${tok}`);
    expect((await c.closed).code).toBe(4001);
    const status = await get('/ws/status', await token({ scopes: ['admin'], accounts: '*' }));
    expect(((await status.json()) as { clients: { account: number } }).clients.account).toBe(0);
  });

  it('closes an oversized frame with 1009', async () => {
    const c = await client(`/ws?token=${await token()}`);
    c.ws.send('x'.repeat(17_000));
    expect((await c.closed).code).toBe(1009);
  });

  it('answers non-JSON and wrong-type frames with invalid_message', async () => {
    const c = await client(`/ws?token=${await token()}`);
    for (const f of ['{', '[]', '{"action":"subscribe","account_id":7}', '{"action":"dance"}']) c.ws.send(f);
    await waitFor(() => c.of('error').length === 4, 'four errors');
    expect(c.of('error').every((e) => e.code === 'invalid_message')).toBe(true);
  });

  it('caps subscriptions per connection', async () => {
    const c = await client(`/ws?token=${await token()}`);
    for (const id of ['a', 'b', 'c', 'd'])
      c.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'primary', order_id: id }));
    await waitFor(() => c.of('error').length === 1, 'cap error');
    expect(c.of('error')[0]?.code).toBe('too_many_subscriptions');
    expect(c.of('subscribed')).toHaveLength(3);
  });

  it('caps connections per subject with 429', async () => {
    const tok = await token();
    await client(`/ws/orders/primary?token=${tok}`);
    await client(`/ws/orders/primary?token=${tok}`);
    expect(await upgradeStatus(`/ws/orders/primary?token=${tok}`)).toBe(429);
    expect(await upgradeStatus(`/ws/orders/primary?token=${await token({ sub: 'bob' })}`)).toBe(101);
  });

  it('warns a client that floods messages, then closes it with 4029', async () => {
    const c = await client(`/ws?token=${await token()}`);
    for (let i = 0; i < 5; i++) c.ws.send('ping');
    c.ws.send('ping');
    await waitFor(() => c.of('error').length === 1, 'warning');
    expect(c.of('error')[0]?.code).toBe('rate_limited');
    c.ws.send('ping');
    expect((await c.closed).code).toBe(4029);
    expect(c.of('pong')).toHaveLength(5);
  });
});
