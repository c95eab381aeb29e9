/**
 * Every order-update fixture in ../shared/fixtures/brokers/ (SOURCES.md), read as it is and
 * normalized by the dialect that speaks it, against expected fields written out here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromKiteOrder, KiteOrderSchema, type NormalizeContext } from '../src/orders/kite-vocabulary.js';
import type { Order } from '../src/orders/model.js';
import { createOrderBook } from '../src/orders/state.js';
import { alpaca } from '../src/upstream/dialects/alpaca.js';
import { fromKitePostback, kite } from '../src/upstream/dialects/kite.js';
import type { DialectAccount, UpstreamEvent } from '../src/upstream/dialects/types.js';
import type { RestClient } from '../src/upstream/rest.js';

const dir = new URL('../../shared/fixtures/brokers/', import.meta.url);
const raw = (name: string) => readFileSync(new URL(name, dir));
const json = (name: string): unknown => JSON.parse(raw(name).toString('utf8'));
const receivedAt = '2026-01-05T10:00:00.000Z';
const kiteCtx: NormalizeContext = { accountId: 'zerodha', timeZone: 'Asia/Kolkata', receivedAt };
const alpacaCtx: NormalizeContext = { accountId: 'paper', timeZone: 'UTC', receivedAt };

/** A fixture goes in the way it would arrive: postback body, Kite WS text, Alpaca WS binary (paper). */
function read(name: string): UpstreamEvent[] {
  if (name.startsWith('zerodha_kite_postback_')) return [fromKitePostback(json(name), undefined, kiteCtx)];
  if (name.startsWith('zerodha_kite_ws_')) return kite.parse(raw(name).toString('utf8'), false, kiteCtx);
  return alpaca.parse(raw(name), name.startsWith('alpaca_trade_updates_'), alpacaCtx);
}

/** The columns of an expected row: every field of the normalized order but account_id. */
// biome-ignore format: a header
const columns = ['order_id', 'client_order_id', 'symbol', 'exchange', 'side', 'order_type', 'product',
  'quantity', 'filled_quantity', 'pending_quantity', 'price', 'trigger_price', 'average_price', 'status',
  'broker_status', 'status_message', 'replaced_by', 'updated_at'] as const satisfies (keyof Order)[];
type Row = (string | number | null)[];
const row = (o: Order): Row => columns.map((k) => o[k]);

// biome-ignore format: a row
const sbinComplete: Row = ['220303000308932', null, 'SBIN', 'NSE', 'buy', 'market', 'CNC', 1, 1, 0, null, null, 470, 'filled', 'COMPLETE', null, null, '2022-03-03T03:54:25.000Z'];

// biome-ignore format: one expected order per row
const table: [string, Row[]][] = [
  ['zerodha_kite_postback_complete.json', [sbinComplete]],
  // UPDATE is not a state: read from the quantities.
  ['zerodha_kite_postback_update_2021.json', [['210709003691276', null, 'SBIN', 'NSE', 'buy', 'limit', 'MIS', 1, 0, 1, 420, null, null, 'open', 'UPDATE', null, null, '2021-07-09T09:30:57.000Z']]],
  // status_message given twice, as "": null.
  ['zerodha_kite_postback_legacy_2015.json', [['16032300017157', null, 'TATAMOTORS', 'NSE', 'sell', 'market', 'CNC', 1, 1, 0, 376.35, null, 376.35, 'filled', 'COMPLETE', null, null, '2015-12-20T09:31:43.000Z']]],
  ['zerodha_kite_ws_order_message.COMPOSED.json', [sbinComplete]],
  // No order_type, product or timestamps in the frame: null, and updated_at is when it arrived.
  ['zerodha_kite_ws_order_realworld_no_data_envelope.json', [['200416001702034', null, 'BANKNIFTY2041618700PE', 'NFO', 'buy', null, null, 20, 0, 0, null, null, null, 'rejected', 'REJECTED',
    'Insufficient funds. Required margin is 3198.00 but available margin is 0.00.', null, receivedAt]]],
  // Cumulative filled_qty / filled_avg_price, not the event's per-fill qty / price.
  ['alpaca_trade_updates_fill_crypto.json', [['a5be8f5e-fdfa-41f5-a644-7a74fe947a8f', '4642fd68-d59a-47d7-a9ac-e22f536828d1', 'SOLUSD', null, 'sell', 'market', null,
    1790.86, 1790.86, 0, null, null, 105.8988475, 'filled', 'filled', null, null, '2022-04-19T17:45:05.027Z']]],
  // The parent (symbol "") takes its legs' symbols; each leg is an order of its own.
  ['alpaca_trade_updates_mleg_fill.json', [
    ['31cd620f-3bd5-41b7-8bb2-6834524679d0', 'fe999618-6435-497b-9fdd-a63d3da3615f', 'AAPL250321P00200000,AAPL250321C00380000', null, 'buy', 'limit', null,
      1, 1, 0, 2, null, 1.62, 'filled', 'filled', null, null, '2025-01-21T07:32:40.699Z'],
    ['3cbe69ef-241c-43ba-9d8c-09361930a1af', 'e868fb88-ce92-442b-91be-4b16defbc883', 'AAPL250321P00200000', null, 'buy', null, null,
      1, 1, 0, null, null, 1.6, 'filled', 'filled', null, null, '2025-01-21T07:32:40.697Z'],
    ['ec694de5-5028-4347-8f89-d8ea00c9341f', '0a1bf1e1-6992-4c23-85a6-9469bbe05f1a', 'AAPL250321C00380000', null, 'buy', null, null,
      1, 1, 0, null, null, 0.02, 'filled', 'filled', null, null, '2025-01-21T07:32:40.699Z'],
  ]],
  // Broker API events (SSE, OAS) share the stream's {event, order} core and are read bare.
  // A notional order has no qty: its quantities are 0.
  ['alpaca_broker_sse_trade_event_new_2021.json', [['d507255a-b072-4fb7-96f3-9ad5a9c02b2a', 'd6499947-dacd-4f85-a728-81734dc39c27', 'AAPL', null, 'buy', 'market', null,
    0, 0, 0, null, null, null, 'open', 'new', null, null, '2021-06-14T10:04:05.165Z']]],
  ['alpaca_broker_trade_update_event_new_oas_example.json', [['edada91a-8b55-4916-a153-8c7a9817e708', '6d873193-dac6-4f72-8e13-c57853a9339d', 'TSLA', null, 'buy', 'limit', null,
    4, 0, 4, 700, null, null, 'open', 'new', null, null, '2022-04-19T14:12:30.609Z']]],
  // Type drift: numeric qty 271.0 and a key "expired_at " are tolerated.
  ['alpaca_realworld_pending_new_lean_trace.json', [['943da5dc-2d69-4383-a8c5-b23a1ff33141', '563fa71d-a311-41b3-9633-514e9298c07f', 'TQQQ', null, 'sell', 'market', null,
    271, 0, 271, null, null, null, 'pending', 'pending_new', null, null, '2025-09-23T14:00:00.450Z']]],
];

/** Fixtures that are not order updates, and where they are used instead. */
const notOrderUpdates = [
  'SOURCES.md',
  'alpaca_stream_control_messages.json', // dialect-alpaca: handshake
  'alpaca_stream_control_messages_current_docs.json', // dialect-alpaca: handshake
  'zerodha_kite_rest_orders_mock.json', // below: the snapshot path
  'zerodha_kite_rest_order_history_mock.json', // below: fromKiteOrder
  'ccxt_order_structure_manual.VERBATIM.js.txt',
  'ccxt_order_structure.TRANSCRIBED.json',
  'ccxt_order_interface.VERBATIM.ts.txt',
  'ccxt_static_alpaca_fetchMyTrades_raw_vs_unified.json', // a fill activity, not an order
  'ibkr_cpapi_sor_order_update_docs_sample.json', // no IBKR dialect
  'ibkr_cpapi_sor_subscribe_refused_realworld.json',
];

describe('order-update fixtures', () => {
  it('every fixture file is in the table or known not to be an order update', () => {
    const covered = new Set([...table.map(([name]) => name), ...notOrderUpdates]);
    expect(readdirSync(dir).filter((f) => !covered.has(f))).toEqual([]);
  });

  it.each(table)('%s', (name, expected) => {
    const events = read(name);
    expect(events.map((e) => (e.kind === 'update' ? row(e.order) : e))).toEqual(expected);
    const accountIds = events.map((e) => (e.kind === 'update' ? e.order.account_id : null));
    expect(new Set(accountIds)).toEqual(new Set([name.startsWith('alpaca') ? 'paper' : 'zerodha']));
  });
});

describe('Kite REST fixtures', () => {
  const account: DialectAccount = {
    id: 'zerodha',
    wsUrl: 'wss://ws.kite.trade',
    restUrl: 'https://api.kite.trade',
    credentials: {},
    timeZone: 'Asia/Kolkata',
  };
  const fakeRest = (body: unknown): RestClient => ({ call: async () => ({ status: 200, body }) });

  it('the orders mock, through the snapshot path', async () => {
    const orders = await kite.fetchSnapshot(
      fakeRest(json('zerodha_kite_rest_orders_mock.json')),
      account,
      kiteCtx,
    );
    const margin =
      'Insufficient funds. Required margin is 95417.84 but available margin is 74251.80. Check the orderbook for open orders.';
    // biome-ignore format: one expected order per row
    expect(orders.map(row)).toEqual([
      // CANCELLED with pending_quantity 1 in the book: pending is 0 once terminal.
      ['100000000000000', null, 'USDINR21JUNFUT', 'CDS', 'buy', 'limit', 'NRML', 1, 0, 0, 72, null, null, 'cancelled', 'CANCELLED', null, null, '2021-05-31T03:48:58.000Z'],
      ['300000000000000', null, 'IOC', 'NSE', 'buy', 'limit', 'CNC', 1, 1, 0, 109.4, null, 109.4, 'filled', 'COMPLETE', null, null, '2021-05-31T09:50:28.000Z'],
      ['500000000000000', null, 'IOC', 'NSE', 'sell', 'market', 'CNC', 1, 1, 0, null, null, 109.35, 'filled', 'COMPLETE', null, null, '2021-05-31T09:50:52.000Z'],
      // No exchange timestamps: order_timestamp.
      ['220524001859672', 'icebergord', 'SBIN', 'NSE', 'buy', 'limit', 'CNC', 200, 0, 0, 463, null, null, 'rejected', 'REJECTED', margin, null, '2022-05-24T06:56:52.000Z'],
      ['700000000000000', 'connect test order1', 'GOLDPETAL21JUNFUT', 'MCX', 'buy', 'limit', 'NRML', 1, 1, 0, 4854, null, 4852, 'filled', 'COMPLETE', null, null, '2021-05-31T10:30:36.000Z'],
      ['9000000000000000', 'connect test order2', 'GOLDPETAL21JUNFUT', 'MCX', 'buy', 'limit', 'NRML', 1, 1, 0, 4854, null, 4852, 'filled', 'COMPLETE', null, null, '2021-05-31T10:38:41.000Z'],
      ['98000000000000000', null, 'BHEL', 'NSE', 'sell', 'limit', 'CNC', 60, 0, 0, 85, null, null, 'cancelled', 'CANCELLED', null, null, '2023-06-12T08:30:58.000Z'],
      ['250117800776785', null, 'SBIN', 'NSE', 'buy', 'limit', 'MTF', 1, 0, 0, 702, null, null, 'cancelled', 'CANCELLED', null, null, '2025-01-17T06:19:45.000Z'],
      ['1953341975595868160', null, 'TATASTEEL', 'NSE', 'buy', 'limit', 'CNC', 1, 1, 0, 159.82, null, 156.7, 'filled', 'COMPLETE', null, null, '2025-08-07T06:26:33.000Z'],
      ['1953367517686685697', null, 'NIFTY2580724400CE', 'NFO', 'buy', 'market', 'NRML', 150, 150, 0, null, null, 12.3, 'filled', 'COMPLETE', null, null, '2025-08-07T08:08:02.000Z'],
    ]);
  });

  const history = (json('zerodha_kite_rest_order_history_mock.json') as { data: unknown[] }).data.map((o) =>
    fromKiteOrder(KiteOrderSchema.parse(o), kiteCtx),
  );

  it('the order history mock: every OMS state of one order', () => {
    // updated_at prefers exchange_timestamp, which lags order_timestamp during a modification.
    // biome-ignore format: one state per row
    expect(history.map((o) => [o.broker_status, o.status, o.pending_quantity, o.price, o.updated_at])).toEqual([
      ['PUT ORDER REQ RECEIVED', 'pending', 1, 300, '2017-12-29T05:36:52.000Z'],
      ['VALIDATION PENDING', 'pending', 1, 300, '2017-12-29T05:36:52.000Z'],
      ['OPEN PENDING', 'pending', 1, 300, '2017-12-29T05:36:52.000Z'],
      ['OPEN', 'open', 1, 300, '2017-12-29T05:36:52.000Z'],
      ['MODIFY VALIDATION PENDING', 'open', 1, 300, '2017-12-29T05:36:52.000Z'],
      ['MODIFY PENDING', 'open', 1, 300, '2017-12-29T05:36:52.000Z'],
      ['MODIFIED', 'open', 1, 300, '2017-12-29T05:38:16.000Z'],
      ['OPEN', 'open', 1, 300.1, '2017-12-29T05:38:16.000Z'],
    ]);
  });

  it('the order history replayed through the book: older states are dropped', () => {
    const book = createOrderBook();
    // OMS steps that don't change the normalized order (PUT ORDER REQ RECEIVED → VALIDATION
    // PENDING → OPEN PENDING are all `pending`; MODIFY … PENDING is still `open` at 300) are not
    // re-broadcast: only the broker's word moved.
    expect(history.map((o) => book.apply(o).accept)).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
    expect(history.map((o) => book.apply(o).accept)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
    ]);
    // Known limit of judgeUpdate (state.ts): a replayed same-second, same-rank state (MODIFIED at
    // 11:08:16) is taken as new, so the price flaps 300.1 -> 300 -> 300.1. Kite gives no sequence.
    expect(book.get('zerodha', '171229000724687')?.price).toBe(300.1);
  });
});
