/**
 * The `alpaca` dialect: event/status mapping, quantities, the auth → listen → ready handshake,
 * binary frames, redelivery dedupe through the order book, the paged REST snapshot against a real
 * HTTP server on port 0, and place/cancel requests. Events other than the fixtures' are SYNTHETIC:
 * the fill fixture with its event, status and quantities changed (SOURCES.md: no verbatim ones).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NormalizeContext } from '../src/orders/kite-vocabulary.js';
import type { Order } from '../src/orders/model.js';
import { createOrderBook } from '../src/orders/state.js';
import { alpaca, alpacaCancelRequest, alpacaPlaceRequest } from '../src/upstream/dialects/alpaca.js';
import type { DialectAccount, UpstreamEvent } from '../src/upstream/dialects/types.js';
import { createRestClient } from '../src/upstream/rest.js';
import type { GatewayError } from '../src/util/errors.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../shared/fixtures/brokers/${name}`, import.meta.url), 'utf8'));
const receivedAt = '2026-01-05T10:00:00.000Z';
const ctx: NormalizeContext = { accountId: 'paper', timeZone: 'UTC', receivedAt };
const credentials = { key_id: 'PKTEST123', secret_key: 'sEcReT/456' };
const account: DialectAccount = {
  id: 'paper',
  wsUrl: 'wss://paper-api.alpaca.markets/stream',
  restUrl: '',
  credentials,
  timeZone: 'UTC',
};

const fill = fixture('alpaca_trade_updates_fill_crypto.json') as { data: { order: Record<string, unknown> } };
/** A synthetic trade_updates frame: the fill fixture with its event and order fields changed. */
function frame(event: string, order: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    stream: 'trade_updates',
    data: { ...fill.data, event, ...extra, order: { ...fill.data.order, ...order } },
  });
}
const orders = (events: UpstreamEvent[]): Order[] =>
  events.flatMap((e) => (e.kind === 'update' ? [e.order] : []));
const one = (text: string): Order => {
  const [o] = orders(alpaca.parse(text, false, ctx));
  if (!o) throw new Error(`no update from ${text}`);
  return o;
};

describe('alpaca event and status mapping', () => {
  // biome-ignore format: a table
  it.each([
    // event, order.status (null: absent), qty, filled_qty, status, pending
    ['new', 'new', '10', '0', 'open', 10],
    ['pending_new', 'pending_new', '10', '0', 'pending', 10],
    ['accepted', 'accepted', '10', '0', 'pending', 10],
    ['partial_fill', 'partially_filled', '10', '4', 'partially_filled', 6],
    ['fill', 'filled', '10', '10', 'filled', 0],
    ['canceled', 'canceled', '10', '4', 'cancelled', 0],
    ['expired', 'expired', '10', '0', 'expired', 0],
    ['done_for_day', 'done_for_day', '10', '4', 'partially_filled', 6],
    ['replaced', 'replaced', '10', '0', 'cancelled', 0],
    ['rejected', 'rejected', '10', '0', 'rejected', 0],
    ['pending_cancel', 'pending_cancel', '10', '4', 'partially_filled', 6],
    ['pending_cancel', 'pending_cancel', '10', '0', 'open', 10],
    ['pending_replace', 'pending_replace', '10', '0', 'open', 10],
    ['stopped', 'stopped', '10', '0', 'open', 10],
    ['suspended', 'suspended', '10', '0', 'open', 10],
    ['calculated', 'calculated', '10', '10', 'filled', 0],
    ['calculated', 'calculated', '10', '4', 'partially_filled', 6],
    ['order_replace_rejected', 'new', '10', '0', 'open', 10],
    ['order_cancel_rejected', 'partially_filled', '10', '4', 'partially_filled', 6],
    // The order's own status wins over the event word.
    ['fill', 'partially_filled', '10', '4', 'partially_filled', 6],
    // Without one, the event word decides.
    ['fill', null, '10', '10', 'filled', 0],
    ['partial_fill', null, '10', '4', 'partially_filled', 6],
    ['canceled', null, '10', '4', 'cancelled', 0],
    ['pending_cancel', null, '10', '4', 'partially_filled', 6],
    // Decimal quantities, subtracted in decimal.
    ['partial_fill', 'partially_filled', '0.015', '0.005', 'partially_filled', 0.01],
  ])('%s with status %s, %s ordered, %s filled: %s, %d pending', (event, status, qty, filled, expected, pending) => {
    const o = one(frame(event, { status, qty, filled_qty: filled }));
    expect([o.status, o.broker_status, o.filled_quantity, o.pending_quantity]).toEqual([expected, status ?? event, Number(filled), pending]);
  });

  it('replaced: cancelled, naming its successor', () => {
    const o = one(
      frame('replaced', { status: 'replaced', replaced_by: 'b2c3', replaced_at: '2022-04-19T17:46:00Z' }),
    );
    expect([o.status, o.replaced_by, o.pending_quantity]).toEqual(['cancelled', 'b2c3', 0]);
  });

  it('per-fill qty/price are not the cumulative filled_qty/filled_avg_price', () => {
    const o = one(
      frame(
        'partial_fill',
        { status: 'partially_filled', qty: '10', filled_qty: '6', filled_avg_price: '100.25' },
        { qty: '2', price: '101.5' },
      ),
    );
    expect([o.quantity, o.filled_quantity, o.pending_quantity, o.average_price]).toEqual([10, 6, 4, 100.25]);
  });

  it.each([
    ['market', 'market'],
    ['limit', 'limit'],
    ['stop', 'stop'],
    ['stop_limit', 'stop_limit'],
    ['trailing_stop', 'stop'],
    ['', null],
    ['twap', null],
  ])('order_type %s: %s', (type, expected) => {
    expect(one(frame('new', { status: 'new', order_type: type, type })).order_type).toBe(expected);
  });

  it('updated_at: the order, else the event timestamp, else when it arrived', () => {
    const ts = '2022-04-19T17:45:05.024916716Z';
    expect(one(frame('fill', {})).updated_at).toBe('2022-04-19T17:45:05.027Z');
    expect(one(frame('fill', { updated_at: null }, { timestamp: ts })).updated_at).toBe(
      '2022-04-19T17:45:05.024Z',
    );
    expect(one(frame('fill', { updated_at: null }, { timestamp: undefined })).updated_at).toBe(receivedAt);
  });
});

describe('alpaca handshake and frames', () => {
  const parse = (m: unknown, binary = false) => alpaca.parse(JSON.stringify(m), binary, ctx);

  it('auth on open, listen once authorized, live once listening (old message forms)', () => {
    const sent: string[] = [];
    expect(alpaca.onOpen(account, (t) => sent.push(t))).toBe(false);
    expect(sent.map((t) => JSON.parse(t))).toEqual([
      { action: 'auth', key: 'PKTEST123', secret: 'sEcReT/456' },
    ]);
    const [, listening, , authorized, refused, refusedListen] = fixture(
      'alpaca_stream_control_messages.json',
    ) as unknown[];
    expect(parse(authorized)).toEqual([
      { kind: 'reply', text: '{"action":"listen","data":{"streams":["trade_updates"]}}' },
    ]);
    expect(parse(listening)).toEqual([{ kind: 'control', ready: true }]);
    expect(parse(refused)).toEqual([{ kind: 'auth_failed', reason: 'unauthorized (authenticate)' }]);
    expect(parse(refusedListen)).toEqual([{ kind: 'auth_failed', reason: 'unauthorized (listen)' }]);
    expect(alpaca.connectRequest(account)).toEqual({
      url: 'wss://paper-api.alpaca.markets/stream',
      headers: {},
    });
  });

  // biome-ignore format: a table
  it.each([
    ['in-stream error (current docs): not an auth failure', (fixture('alpaca_stream_control_messages_current_docs.json') as unknown[])[1], { kind: 'control', message: 'error: internal server error' }],
    ['action error about auth', { action: 'error', data: { error_message: 'auth failed' } }, { kind: 'auth_failed', reason: 'auth failed' }],
    ['T error 402', { T: 'error', code: 402, msg: 'auth failed' }, { kind: 'auth_failed', reason: '402 auth failed' }],
    ['T error 406', { T: 'error', code: 406, msg: 'connection limit exceeded' }, { kind: 'control', message: 'error: 406 connection limit exceeded' }],
    ['listening without trade_updates', { stream: 'listening', data: { streams: [] } }, { kind: 'control', message: 'listening to [] without trade_updates' }],
    ['another stream', { stream: 'account_updates', data: {} }, { kind: 'control', message: 'stream account_updates' }],
    ['an order without id', { stream: 'trade_updates', data: { event: 'new', order: { side: 'buy' } } }, { kind: 'invalid', reason: 'order.id: Invalid input' }],
    ['an error on the trade_updates stream', { stream: 'trade_updates', action: 'error', data: { error_message: 'auth failed' } }, { kind: 'auth_failed', reason: 'auth failed' }],
  ])('%s', (_what, m, event) => {
    expect(parse(m)).toEqual([event]);
  });

  it('reads JSON from binary frames, and arrays of messages', () => {
    expect(
      alpaca.parse(Buffer.from(JSON.stringify([{ T: 'error', code: 402, msg: 'auth failed' }])), true, ctx),
    ).toEqual([{ kind: 'auth_failed', reason: '402 auth failed' }]);
    expect(alpaca.parse(Buffer.from(frame('fill', {})), true, ctx).map((e) => e.kind)).toEqual(['update']);
    expect(alpaca.parse(Buffer.from([0x81, 0xa1]), true, ctx)).toEqual([
      { kind: 'invalid', reason: 'not JSON' },
    ]);
  });

  it('a replayed new → fill (three times, same ids) is accepted once per distinct state', () => {
    const book = createOrderBook();
    const seq = [
      frame('new', { status: 'new', filled_qty: '0', filled_avg_price: null, filled_at: null }),
      frame('fill', {}),
    ];
    const verdicts = [...seq, ...seq, ...seq]
      .flatMap((t) => orders(alpaca.parse(t, true, ctx)))
      .map((o) => book.apply(o).accept);
    expect(verdicts).toEqual([true, true, false, false, false, false]);
    expect(book.list('paper').map((o) => o.status)).toEqual(['filled']);
  });
});

describe('alpaca snapshot over HTTP', () => {
  let server: Server;
  let dispatcher: Agent;
  let base: string;
  let book: Record<string, unknown>[];
  let afters: string[];
  let others: Record<string, string>[];
  let lookups: string[];
  let lookupQueries: string[];
  let status: number;
  let lookupStatus: number;
  const T0 = Date.parse(receivedAt) - 3_600_000;
  const restOrder = (i: number, ms: number, legs: unknown[] | null = null) => {
    const ts = new Date(ms).toISOString();
    return {
      id: `o-${i}`,
      client_order_id: `c-${i}`,
      symbol: legs ? '' : 'AAPL',
      side: 'buy',
      order_type: 'limit',
      qty: '1',
      filled_qty: '0',
      limit_price: '1.5',
      status: 'new',
      submitted_at: ts,
      created_at: ts,
      updated_at: ts,
      legs,
    };
  };
  const leg = (i: number, s: string) => ({
    ...restOrder(i, T0),
    id: `o-${i}-${s}`,
    symbol: `LEG${s}`,
    order_type: '',
  });

  beforeEach(async () => {
    afters = [];
    others = [];
    lookups = [];
    lookupQueries = [];
    status = 200;
    lookupStatus = 200;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      const authorized =
        req.headers['apca-api-key-id'] === 'PKTEST123' && req.headers['apca-api-secret-key'] === 'sEcReT/456';
      const reply = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const refused = { code: 40110000, message: 'request is not authorized' };
      const one = /^\/v2\/orders\/([^/]+)$/.exec(url.pathname);
      if (one) {
        lookups.push(decodeURIComponent(one[1] as string));
        lookupQueries.push(url.search);
        const o = book.find((x) => x.id === decodeURIComponent(one[1] as string));
        if (!authorized) return reply(401, refused);
        if (lookupStatus !== 200) return reply(lookupStatus, refused);
        return o ? reply(200, o) : reply(404, { code: 40410000, message: 'order not found' });
      }
      const q = Object.fromEntries(url.searchParams);
      const { after = '', ...rest } = q;
      afters.push(after);
      others.push(rest);
      if (url.pathname !== '/v2/orders' || !authorized) return reply(401, refused);
      if (status !== 200) return reply(status, refused);
      // `after` is exclusive, as Alpaca's is; at most `limit` orders, oldest first; open = not closed.
      const page = book
        .filter(
          (o) =>
            q.status !== 'open' || !['filled', 'canceled', 'expired', 'rejected'].includes(String(o.status)),
        )
        .filter((o) => Date.parse(String(o.submitted_at)) > Date.parse(after))
        .slice(0, 500);
      return reply(200, page);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dispatcher = new Agent();
  });
  afterEach(async () => {
    await dispatcher.close();
    await new Promise((r) => server.close(r));
  });
  let warnings: string[] = [];
  const snapshot = (creds = credentials, knownOpen?: string[]) => {
    warnings = [];
    return alpaca.fetchSnapshot(
      createRestClient({ dispatcher, timeoutMs: 2_000 }),
      { ...account, restUrl: base, credentials: creds },
      { ...ctx, knownOpen, onWarn: (m) => warnings.push(m) },
    );
  };
  /** The error a snapshot failed with, or null when it succeeded. */
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e as GatewayError,
    );
  const EPOCH = '1970-01-01T00:00:00.000Z';
  const DAY_AGO = '2026-01-04T10:00:00.000Z';
  const list = (q: Record<string, string>) => JSON.stringify(q);

  it('pages 1,203 orders in 3 requests, across equal-timestamp page boundaries, legs flattened', async () => {
    // Orders 495-505 share one instant, and 990-1010 another: both straddle a page boundary.
    const instant = (i: number) => (i >= 495 && i <= 505 ? 495 : i >= 990 && i <= 1010 ? 990 : i);
    book = Array.from({ length: 1203 }, (_, i) =>
      restOrder(i, T0 + instant(i) * 1000, i === 7 ? [leg(7, 'A'), leg(7, 'B')] : null),
    );
    const got = await snapshot();
    const iso = (i: number) => new Date(T0 + i * 1000 - 1).toISOString();
    // The last 24 h, then every open order whatever its age (all of these are open).
    expect(afters).toEqual([DAY_AGO, iso(495), iso(990), EPOCH, iso(495), iso(990)]);
    expect(others.map(list)).toEqual([
      ...Array(3).fill(list({ status: 'all', nested: 'true', limit: '500', direction: 'asc' })),
      ...Array(3).fill(list({ status: 'open', nested: 'true', limit: '500', direction: 'asc' })),
    ]);
    expect(lookups).toEqual([]);
    const ids = got.map((o) => o.order_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(1205);
    for (let i = 0; i < 1203; i++) expect(ids).toContain(`o-${i}`);
    const parent = got.find((o) => o.order_id === 'o-7');
    expect([parent?.symbol, got.find((o) => o.order_id === 'o-7-B')?.symbol]).toEqual(['LEGA,LEGB', 'LEGB']);
    expect(got[0]).toMatchObject({
      account_id: 'paper',
      quantity: 1,
      pending_quantity: 1,
      price: 1.5,
      status: 'open',
    });
  });

  it('a full page of one instant ends instead of looping (later same-instant orders are beyond `after`)', async () => {
    book = Array.from({ length: 600 }, (_, i) => restOrder(i, T0));
    expect((await snapshot()).length).toBe(500);
    const pages = [new Date(T0 - 1).toISOString(), new Date(T0).toISOString()];
    expect(afters).toEqual([DAY_AGO, ...pages, EPOCH, ...pages]);
  });

  it('reads an open order older than 24 h from the open list', async () => {
    const old = Date.parse(receivedAt) - 3 * 86_400_000;
    book = [restOrder(1, old), { ...restOrder(2, old), status: 'filled', filled_qty: '1' }, restOrder(3, T0)];
    const got = await snapshot();
    expect(got.map((o) => o.order_id).sort()).toEqual(['o-1', 'o-3']);
  });

  it('reads by id an order held as open that neither list shows (older, closed while away)', async () => {
    const old = Date.parse(receivedAt) - 3 * 86_400_000;
    book = [{ ...restOrder(1, old), status: 'filled', filled_qty: '1' }, restOrder(2, T0)];
    // o-2 came with the 24 h list, o-1 is read alone, o-gone no longer exists at the broker.
    const got = await snapshot(credentials, ['o-1', 'o-2', 'o-gone']);
    expect([...lookups].sort()).toEqual(['o-1', 'o-gone']);
    expect(lookupQueries).toEqual(['?nested=true', '?nested=true']);
    expect(warnings).toEqual(['order o-gone held as open could not be read (HTTP 404); it stays as it was']);
    expect(got.find((o) => o.order_id === 'o-1')).toMatchObject({ status: 'filled', filled_quantity: 1 });
    expect(got.map((o) => o.order_id).sort()).toEqual(['o-1', 'o-2']);
  });

  it('reads a multi-leg parent whole (nested) and does not read its legs again', async () => {
    const old = Date.parse(receivedAt) - 3 * 86_400_000;
    const parent = { ...restOrder(7, old, [leg(7, 'A'), leg(7, 'B')]), status: 'filled' };
    book = [parent];
    const got = await snapshot(credentials, ['o-7', 'o-7-A', 'o-7-B']);
    expect(lookups).toEqual(['o-7']);
    expect(got.find((o) => o.order_id === 'o-7')?.symbol).toBe('LEGA,LEGB');
    expect(got.map((o) => o.order_id).sort()).toEqual(['o-7', 'o-7-A', 'o-7-B']);
  });

  it('reads at most 100 by id, says so, and skips one it can not read (422) with a warning', async () => {
    book = [];
    const ids = Array.from({ length: 130 }, (_, i) => `gone-${i}`);
    await snapshot(credentials, ids);
    expect(lookups).toHaveLength(100);
    expect(new Set(lookups).size).toBe(100);
    expect(warnings[0]).toBe('130 open orders missing from the lists; reading 100 this time');
    lookupStatus = 422;
    await snapshot(credentials, ['a/b']);
    expect(lookups.at(-1)).toBe('a/b'); // encoded in the path, decoded by the server
    expect(warnings).toEqual(['order a/b held as open could not be read (HTTP 422); it stays as it was']);
  });

  it('starts the lookups at a point that moves with each resync, so none is held back for good', async () => {
    book = [];
    const ids = Array.from({ length: 150 }, (_, i) => `gone-${i}`);
    const firsts: string[] = [];
    for (const at of [0, 1_000, 2_000]) {
      lookups = [];
      await alpaca.fetchSnapshot(
        createRestClient({ dispatcher, timeoutMs: 2_000 }),
        { ...account, restUrl: base, credentials },
        { ...ctx, receivedAt: new Date(Date.parse(receivedAt) + at).toISOString(), knownOpen: ids },
      );
      firsts.push(lookups[0] as string);
    }
    expect(new Set(firsts).size).toBe(3);
  });

  it.each([
    [401, 'unauthorized'],
    [503, 'upstream_unavailable'],
  ])(
    'a lookup answered %d fails the resync as %s, rather than go live with a hole',
    async (code, expected) => {
      book = [restOrder(2, T0)];
      lookupStatus = code;
      const err = await failure(snapshot(credentials, ['o-1']));
      expect(lookups).toEqual(['o-1']);
      expect(err?.code).toBe(expected);
    },
  );

  it.each([
    [200, { key_id: 'PKTEST123', secret_key: 'wrong' }, 'unauthorized'],
    [403, credentials, 'unauthorized'],
    [429, credentials, 'upstream_unavailable'],
    [500, credentials, 'upstream_unavailable'],
    [404, credentials, 'upstream_error'],
  ])('HTTP %d: %s, credentials never in the message', async (s, creds, code) => {
    status = s;
    book = [restOrder(1, T0)];
    const err = await failure(snapshot(creds));
    expect(err?.code).toBe(code);
    for (const secret of [...Object.values(creds), ...Object.values(credentials)])
      expect(err?.message).not.toContain(secret);
  });

  it('a malformed order is skipped and reported, the rest kept', async () => {
    book = [{ ...restOrder(1, T0), id: undefined }, restOrder(2, T0)];
    const reasons: string[] = [];
    const got = await alpaca.fetchSnapshot(
      createRestClient({ dispatcher, timeoutMs: 2_000 }),
      { ...account, restUrl: base, credentials },
      { ...ctx, onInvalid: (r) => reasons.push(r) },
    );
    expect(got).toHaveLength(1);
    // Both lists return it (it is recent and open), and each reports it.
    expect(reasons).toEqual([
      expect.stringMatching(/^orders entry: /),
      expect.stringMatching(/^orders entry: /),
    ]);
  });
});

describe('alpaca place and cancel requests', () => {
  const rest = { ...account, restUrl: 'https://paper-api.alpaca.markets/' };
  const auth = { 'APCA-API-KEY-ID': 'PKTEST123', 'APCA-API-SECRET-KEY': 'sEcReT/456' };
  const leg = {
    tradingsymbol: 'AAPL',
    exchange: 'NASDAQ',
    transaction_type: 'SELL',
    quantity: 3,
    product: 'CNC',
  } as const;

  it.each([
    [{ order_type: 'MARKET' }, { type: 'market' }],
    [
      { order_type: 'LIMIT', price: 190.25 },
      { type: 'limit', limit_price: '190.25' },
    ],
    [
      { order_type: 'SL', price: 189.5, trigger_price: 190 },
      { type: 'stop_limit', limit_price: '189.5', stop_price: '190' },
    ],
    [
      { order_type: 'SL-M', trigger_price: 190, tag: 'b7-1' },
      { type: 'stop', stop_price: '190', client_order_id: 'b7-1' },
    ],
  ] as const)('%j', (patch, expected) => {
    const req = alpacaPlaceRequest(rest, { ...leg, ...patch });
    expect({ ...req, body: JSON.parse(req.body ?? '') }).toEqual({
      method: 'POST',
      url: 'https://paper-api.alpaca.markets/v2/orders',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: { symbol: 'AAPL', side: 'sell', qty: '3', time_in_force: 'day', ...expected },
    });
  });

  it('cancels with DELETE /v2/orders/{id}', () => {
    expect(alpacaCancelRequest(rest, 'a5be8f5e')).toEqual({
      method: 'DELETE',
      url: 'https://paper-api.alpaca.markets/v2/orders/a5be8f5e',
      headers: auth,
    });
  });
});
