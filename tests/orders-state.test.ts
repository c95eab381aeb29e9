import { describe, expect, it } from 'vitest';
import type { Order } from '../src/orders/model.js';
import { createOrderBook, judgeUpdate } from '../src/orders/state.js';

const base: Order = {
  account_id: 'primary',
  order_id: '1',
  client_order_id: null,
  symbol: 'INFY',
  exchange: 'NSE',
  side: 'buy',
  order_type: 'limit',
  product: 'CNC',
  quantity: 10,
  filled_quantity: 0,
  pending_quantity: 10,
  price: 1500,
  trigger_price: null,
  average_price: null,
  status: 'open',
  broker_status: 'OPEN',
  status_message: null,
  replaced_by: null,
  updated_at: '2026-11-22T09:15:00.000Z',
};
const v = (patch: Partial<Order>): Order => ({ ...base, ...patch });

describe('judgeUpdate', () => {
  const table: [string, Order | undefined, Order, boolean, string?][] = [
    ['first sight', undefined, base, true],
    ['unchanged is a duplicate', base, v({}), false, 'duplicate'],
    ['only the timestamp moved', base, v({ updated_at: '2026-11-22T09:16:00.000Z' }), false, 'duplicate'],
    [
      "only the broker's word moved (Kite UPDATE vs OPEN)",
      base,
      v({ broker_status: 'UPDATE' }),
      false,
      'duplicate',
    ],
    [
      'a partial fill',
      base,
      v({ status: 'partially_filled', filled_quantity: 4, pending_quantity: 6 }),
      true,
    ],
    [
      'fill decreasing is stale',
      v({ status: 'partially_filled', filled_quantity: 4, pending_quantity: 6 }),
      v({ status: 'partially_filled', filled_quantity: 2, pending_quantity: 8 }),
      false,
      'stale',
    ],
    [
      'filled is sticky',
      v({ status: 'filled', filled_quantity: 10, pending_quantity: 0 }),
      base,
      false,
      'stale',
    ],
    [
      'cancelled is sticky',
      v({ status: 'cancelled', pending_quantity: 0 }),
      v({ status: 'open', price: 1490 }),
      false,
      'stale',
    ],
    [
      'rejected stays rejected even with a newer timestamp',
      v({ status: 'rejected', pending_quantity: 0 }),
      v({
        status: 'filled',
        filled_quantity: 10,
        pending_quantity: 0,
        updated_at: '2026-11-22T10:00:00.000Z',
      }),
      false,
      'stale',
    ],
    [
      'open after partially filled with the same fill is stale',
      v({ status: 'partially_filled', filled_quantity: 4, pending_quantity: 6 }),
      v({ status: 'open', filled_quantity: 4, pending_quantity: 6, price: 1490 }),
      false,
      'stale',
    ],
    ['a price modification', base, v({ price: 1490, updated_at: '2026-11-22T09:15:05.000Z' }), true],
    [
      'an older modification is stale',
      v({ price: 1490 }),
      v({ price: 1480, updated_at: '2026-11-22T09:14:00.000Z' }),
      false,
      'stale',
    ],
    [
      'a cancel that keeps its fills',
      v({ status: 'partially_filled', filled_quantity: 4, pending_quantity: 6 }),
      v({ status: 'cancelled', filled_quantity: 4, pending_quantity: 0 }),
      true,
    ],
    ['pending to open', v({ status: 'pending' }), v({ status: 'open', broker_status: 'OPEN' }), true],
    [
      'a cancel stamped earlier than a receipt-time stamp still lands',
      v({ updated_at: '2026-11-22T09:24:25.731Z' }),
      v({ status: 'cancelled', pending_quantity: 0, updated_at: '2026-11-22T09:24:25.000Z' }),
      true,
    ],
  ];
  it.each(table)('%s', (_name, prev, next, accept, reason) => {
    const verdict = judgeUpdate(prev, next);
    expect(verdict.accept).toBe(accept);
    if (!verdict.accept) expect(verdict.reason).toBe(reason);
  });
});

describe('createOrderBook', () => {
  it('stores accepted updates only, per account, in first-seen order', () => {
    const book = createOrderBook();
    expect(book.apply(base).accept).toBe(true);
    expect(book.apply(v({ order_id: '2' })).accept).toBe(true);
    expect(book.apply(v({ account_id: 'other' })).accept).toBe(true);
    expect(book.apply(v({ status: 'filled', filled_quantity: 10, pending_quantity: 0 })).accept).toBe(true);
    expect(book.apply(base).accept).toBe(false);
    expect(book.get('primary', '1')?.status).toBe('filled');
    expect(book.list('primary').map((o) => o.order_id)).toEqual(['1', '2']);
    expect(book.list('other')).toHaveLength(1);
    expect(book.list('nobody')).toEqual([]);
  });
});

describe('a bounded book', () => {
  it('forgets the oldest terminal order past its size, never a live one', () => {
    const book = createOrderBook({ maxPerAccount: 3 });
    book.apply(v({ order_id: 'live-1' }));
    book.apply(v({ order_id: 'done-1', status: 'filled', filled_quantity: 10, pending_quantity: 0 }));
    book.apply(v({ order_id: 'done-2', status: 'cancelled', pending_quantity: 0 }));
    book.apply(v({ order_id: 'new-1' }));
    expect(book.list('primary').map((o) => o.order_id)).toEqual(['live-1', 'done-2', 'new-1']);
    book.apply(v({ order_id: 'new-2' }));
    expect(book.list('primary').map((o) => o.order_id)).toEqual(['live-1', 'new-1', 'new-2']);
  });
});
