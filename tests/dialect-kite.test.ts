/**
 * The `kite` dialect: status mapping, postback checksum, frames (text, binary, heartbeat), the
 * connect request, the REST snapshot against a real HTTP server on port 0, and place/cancel requests.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  fromKiteOrder,
  KiteOrderSchema,
  kiteStatus,
  type NormalizeContext,
} from '../src/orders/kite-vocabulary.js';
import { kite, kiteCancelRequest, kitePlaceRequest } from '../src/upstream/dialects/kite.js';
import type { DialectAccount } from '../src/upstream/dialects/types.js';
import { createRestClient } from '../src/upstream/rest.js';
import type { GatewayError } from '../src/util/errors.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../shared/fixtures/brokers/${name}`, import.meta.url), 'utf8');
const ctx: NormalizeContext = {
  accountId: 'z1',
  timeZone: 'Asia/Kolkata',
  receivedAt: '2026-01-05T10:00:00.000Z',
};
const credentials = { api_key: 'kite key&1', access_token: 'tok/en=2', api_secret: 'sekret-3' };
const account: DialectAccount = {
  id: 'z1',
  wsUrl: 'wss://ws.kite.trade',
  restUrl: '',
  credentials,
  timeZone: 'Asia/Kolkata',
};

describe('kite status mapping', () => {
  it.each([
    ['PUT ORDER REQ RECEIVED', 10, 0, 'pending'],
    ['PUT ORDER REQUEST RECEIVED', 10, 0, 'pending'],
    ['VALIDATION PENDING', 10, 0, 'pending'],
    ['OPEN PENDING', 10, 0, 'pending'],
    ['AMO REQ RECEIVED', 10, 0, 'pending'],
    ['TRIGGER PENDING', 10, 0, 'open'],
    ['OPEN', 10, 0, 'open'],
    ['OPEN', 10, 4, 'partially_filled'],
    ['MODIFY VALIDATION PENDING', 10, 4, 'partially_filled'],
    ['MODIFY PENDING', 10, 0, 'open'],
    ['MODIFIED', 10, 0, 'open'],
    ['CANCEL PENDING', 10, 4, 'partially_filled'],
    ['UPDATE', 10, 0, 'open'],
    ['UPDATE', 10, 4, 'partially_filled'],
    ['UPDATE', 10, 10, 'filled'],
    ['COMPLETE', 10, 10, 'filled'],
    ['CANCELLED', 10, 4, 'cancelled'],
    ['CANCELLED AMO', 10, 0, 'cancelled'],
    ['REJECTED', 10, 0, 'rejected'],
    ['LAPSED', 10, 0, 'expired'],
    ['SOMETHING NEW', 10, 0, 'open'],
  ])('%s with %d ordered, %d filled: %s', (word, quantity, filled, expected) => {
    expect(kiteStatus(word, quantity, filled)).toBe(expected);
  });

  it('a CANCELLED order keeps its fills; nothing is pending', () => {
    const raw = {
      order_id: '1',
      tradingsymbol: 'SBIN',
      transaction_type: 'SELL',
      status: 'CANCELLED',
      quantity: 10,
      filled_quantity: 4,
      pending_quantity: 6,
    };
    const o = fromKiteOrder(KiteOrderSchema.parse(raw), ctx);
    expect([o.status, o.filled_quantity, o.pending_quantity]).toEqual(['cancelled', 4, 0]);
  });
});

describe('kite frames', () => {
  const postback = JSON.parse(fixture('zerodha_kite_postback_complete.json')) as Record<string, unknown>;
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const good = sha(`220303000308932${'2022-03-03 09:24:25'}sekret-3`);
  const frame = (checksum: string) => JSON.stringify({ type: 'order', data: { ...postback, checksum } });
  const kinds = (text: string, acct?: DialectAccount) =>
    kite.parse(text, false, ctx, acct).map((e) => e.kind);
  const noSecret = { ...account, credentials: { api_key: 'k', access_token: 't' } };

  it.each([
    ['a computed checksum, secret set', 'update', frame(good), account],
    ['the same checksum in upper case', 'update', frame(good.toUpperCase()), account],
    ['a wrong checksum, secret set', 'invalid', frame(sha('forged')), account],
    ["Zerodha's own (foreign) checksum, secret set", 'invalid', frame(String(postback.checksum)), account],
    ['a truncated checksum, secret set', 'invalid', frame(good.slice(0, 25)), account],
    ['a blank checksum (the WS copy), secret set', 'update', frame(''), account],
    ['a wrong checksum, no secret configured', 'update', frame(sha('forged')), noSecret],
    ['a wrong checksum, no account given', 'update', frame(sha('forged')), undefined],
  ])('%s: %s', (_what, kind, text, acct) => {
    expect(kinds(text, acct)).toEqual([kind]);
  });

  it('a checksum mismatch says so', () => {
    expect(kite.parse(frame(sha('x')), false, ctx, account)).toEqual([
      { kind: 'invalid', reason: 'checksum mismatch' },
    ]);
  });

  it('binary frames: a 1-byte heartbeat, market data ignored', () => {
    expect(kite.parse(Buffer.from([0]), true, ctx)).toEqual([{ kind: 'heartbeat' }]);
    expect(kite.parse(Buffer.alloc(184, 7), true, ctx)).toEqual([]);
    expect(kite.parse(Buffer.from(frame('')), true, ctx)).toEqual([]);
  });

  it('a text frame delivered as a Buffer is read as UTF-8', () => {
    expect(kite.parse(Buffer.from(frame('')), false, ctx).map((e) => e.kind)).toEqual(['update']);
  });

  // biome-ignore format: a table
  it.each([
    ['{"type":"error","data":"Invalid `api_key` or `access_token`."}', { kind: 'auth_failed', reason: 'Invalid `api_key` or `access_token`.' }],
    ['{"type":"error","data":"TokenException: session expired"}', { kind: 'auth_failed', reason: 'TokenException: session expired' }],
    ['{"type":"error","data":"Too many subscriptions"}', { kind: 'control', message: 'Too many subscriptions' }],
    ['{"type":"message","data":"Markets open at 9:15"}', { kind: 'control', message: 'message: Markets open at 9:15' }],
    ['{"type":"order","data":{"order_id":"1","status":"OPEN"}}', { kind: 'invalid', reason: 'tradingsymbol: Invalid input: expected string, received undefined' }],
    ['{"data":{}}', { kind: 'invalid', reason: 'not a {"type":...} frame' }],
    ['pong?', { kind: 'invalid', reason: 'not JSON' }],
  ])('%s', (text, event) => {
    expect(kite.parse(text, false, ctx)).toEqual([event]);
  });
});

describe('kite connect', () => {
  it('puts the credentials in the query, URL-encoded, and sends nothing on open', () => {
    const { url, headers } = kite.connectRequest(account);
    expect(url).toBe('wss://ws.kite.trade/?api_key=kite+key%261&access_token=tok%2Fen%3D2');
    expect(new URL(url).searchParams.get('access_token')).toBe('tok/en=2');
    expect(headers).toEqual({ 'X-Kite-Version': '3' });
    const sent: string[] = [];
    expect(kite.onOpen(account, (t) => sent.push(t))).toBe(true);
    expect(sent).toEqual([]);
    expect([kite.defaultTimeZone, kite.ping]).toEqual(['Asia/Kolkata', { kind: 'protocol' }]);
  });
});

describe('kite snapshot over HTTP', () => {
  let server: Server;
  let dispatcher: Agent;
  let base: string;
  let seen: { url?: string; headers: IncomingHttpHeaders }[];
  let answer: { status: number; body: string };

  beforeEach(async () => {
    seen = [];
    answer = { status: 200, body: fixture('zerodha_kite_rest_orders_mock.json') };
    server = createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    dispatcher = new Agent();
  });
  afterEach(async () => {
    await dispatcher.close();
    await new Promise((r) => server.close(r));
  });
  const snapshot = () =>
    kite.fetchSnapshot(
      createRestClient({ dispatcher, timeoutMs: 2_000 }),
      { ...account, restUrl: base },
      ctx,
    );

  it('GETs /orders with the Kite headers and normalizes the book', async () => {
    const orders = await snapshot();
    expect(seen.map((s) => s.url)).toEqual(['/orders']);
    expect(seen[0]?.headers['x-kite-version']).toBe('3');
    expect(seen[0]?.headers.authorization).toBe('token kite key&1:tok/en=2');
    expect(orders.map((o) => o.status)).toEqual([
      'cancelled',
      'filled',
      'filled',
      'rejected',
      'filled',
      'filled',
      'cancelled',
      'cancelled',
      'filled',
      'filled',
    ]);
  });

  // biome-ignore format: a table
  it.each([
    [403, '{"status":"error","message":"Incorrect `api_key` or `access_token`.","error_type":"TokenException"}', 'unauthorized'],
    [401, '', 'unauthorized'],
    [400, '{"status":"error","message":"Token is invalid or has expired.","error_type":"TokenException"}', 'unauthorized'],
    [400, '{"status":"error","message":"bad","error_type":"InputException"}', 'upstream_error'],
    [429, '{"status":"error","error_type":"NetworkException"}', 'upstream_unavailable'],
    [503, 'gateway down', 'upstream_unavailable'],
    [200, '{"status":"success","data":{}}', 'upstream_error'],
  ])('HTTP %d %s: %s, credentials never in the message', async (status, body, code) => {
    answer = { status, body };
    const err = (await snapshot().then(() => null, (e: unknown) => e)) as GatewayError | null;
    expect(err?.code).toBe(code);
    for (const secret of Object.values(credentials)) expect(err?.message).not.toContain(secret);
  });
});

describe('kite snapshot entries', () => {
  it('skips an unreadable entry and reports it, keeping the readable ones', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const book = JSON.parse(fixture('zerodha_kite_rest_orders_mock.json')) as { data: unknown[] };
      res.end(JSON.stringify({ status: 'success', data: [{ order_id: '1' }, ...book.data.slice(0, 1)] }));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const agent = new Agent();
    try {
      const reasons: string[] = [];
      const got = await kite.fetchSnapshot(
        createRestClient({ dispatcher: agent, timeoutMs: 2_000 }),
        { ...account, restUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` },
        { ...ctx, onInvalid: (r) => reasons.push(r) },
      );
      expect(got).toHaveLength(1);
      expect(reasons).toEqual([expect.stringMatching(/^order book entry: /)]);
    } finally {
      await agent.close();
      server.close();
    }
  });
});

describe('kite place and cancel requests', () => {
  const rest = { ...account, restUrl: 'https://api.kite.trade/' };
  const auth = { 'X-Kite-Version': '3', Authorization: 'token kite key&1:tok/en=2' };

  it('places an SL leg as a form POST to /orders/{variety}', () => {
    const leg = {
      tradingsymbol: 'SBIN',
      exchange: 'NSE',
      transaction_type: 'SELL',
      quantity: 5,
      order_type: 'SL',
      product: 'MIS',
      price: 470.5,
      trigger_price: 471,
      tag: 'b1-0',
    } as const;
    const req = kitePlaceRequest(rest, leg);
    expect(req).toEqual({
      method: 'POST',
      url: 'https://api.kite.trade/orders/regular',
      headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: req.body,
    });
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      tradingsymbol: 'SBIN',
      exchange: 'NSE',
      transaction_type: 'SELL',
      quantity: '5',
      order_type: 'SL',
      product: 'MIS',
      validity: 'DAY',
      price: '470.5',
      trigger_price: '471',
      tag: 'b1-0',
    });
    const market = kitePlaceRequest(
      rest,
      { ...leg, order_type: 'MARKET', price: undefined, trigger_price: undefined, tag: undefined },
      'amo',
    );
    expect(market.url).toBe('https://api.kite.trade/orders/amo');
    expect(new URLSearchParams(market.body).has('price')).toBe(false);
  });

  it('cancels with DELETE /orders/{variety}/{order_id}', () => {
    expect(kiteCancelRequest(rest, '220303000308932')).toEqual({
      method: 'DELETE',
      url: 'https://api.kite.trade/orders/regular/220303000308932',
      headers: auth,
    });
    expect(kiteCancelRequest(rest, '1', 'co').url).toBe('https://api.kite.trade/orders/co/1');
  });
});
