import { describe, expect, it } from 'vitest';
import { batchOutcome } from '../src/batch/outcome.js';
import { createRateLimiter } from '../src/batch/rate-limit.js';
import { BatchRequestSchema } from '../src/batch/schema.js';
import { readPlacement } from '../src/upstream/dialects/placement.js';
import { GatewayError } from '../src/util/errors.js';
import { createFakeClock } from './helpers/fake-clock.js';

type L = {
  status: 'placed' | 'rejected' | 'cancelled' | 'filled' | 'open' | 'unknown';
  filled_quantity: number;
};
const leg = (status: L['status'], filled_quantity = 0): L => ({ status, filled_quantity });

describe('batchOutcome', () => {
  it.each([
    ['every leg placed', [leg('placed'), leg('placed')], 'success'],
    ['no leg placed', [leg('rejected'), leg('rejected')], 'failed'],
    [
      'placed legs cancelled with nothing filled',
      [leg('cancelled'), leg('rejected'), leg('cancelled')],
      'rolled_back',
    ],
    ['a cancelled leg had partial fills', [leg('cancelled', 5), leg('rejected')], 'partial'],
    ['a leg filled before its cancel', [leg('filled', 10), leg('rejected'), leg('cancelled')], 'partial'],
    ['rollback off: placed legs remain', [leg('placed'), leg('rejected')], 'partial'],
    ['a cancel that did not take', [leg('open'), leg('rejected')], 'partial'],
    ['an unknown leg may be live', [leg('unknown'), leg('rejected')], 'partial'],
    ['a single placed leg', [leg('placed')], 'success'],
  ] as [string, L[], string][])('%s → %s', (_name, legs, outcome) => {
    expect(batchOutcome(legs)).toBe(outcome);
  });
});

describe('BatchRequestSchema', () => {
  const ok = {
    tradingsymbol: 'INFY',
    exchange: 'NSE',
    transaction_type: 'BUY',
    quantity: 1,
    order_type: 'MARKET',
    product: 'CNC',
  };
  it.each([
    ['no legs', { orders: [] }, ['orders: at least 1 leg']],
    ['eleven legs', { orders: Array(11).fill(ok) }, ['orders: at most 10 legs']],
    [
      'LIMIT without price',
      { orders: [{ ...ok, order_type: 'LIMIT' }] },
      ['orders.0.price: required for LIMIT'],
    ],
    [
      'SL without price or trigger',
      { orders: [{ ...ok, order_type: 'SL' }] },
      ['orders.0.price: required for SL', 'orders.0.trigger_price: required for SL'],
    ],
    [
      'SL-M without trigger',
      { orders: [ok, { ...ok, order_type: 'SL-M' }] },
      ['orders.1.trigger_price: required for SL-M'],
    ],
    [
      'a fractional quantity',
      { orders: [{ ...ok, quantity: 1.5 }] },
      ['orders.0.quantity: must be a whole number'],
    ],
    ['a zero quantity', { orders: [{ ...ok, quantity: 0 }] }, ['orders.0.quantity']],
    ['an unknown product', { orders: [{ ...ok, product: 'XYZ' }] }, ['orders.0.product']],
    ['an unknown field', { orders: [{ ...ok, colour: 'red' }] }, ['orders.0: Unrecognized key: "colour"']],
    [
      'a price on a MARKET leg',
      { orders: [{ ...ok, price: 10 }] },
      ['orders.0.price: not allowed for MARKET'],
    ],
  ])('rejects %s, naming every problem', (_name, body, problems) => {
    const r = BatchRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    const text = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    for (const p of problems) expect(text.some((t) => t.startsWith(p))).toBe(true);
    expect(text).toHaveLength(problems.length);
  });
  it('defaults rollback_on_failure to true', () => {
    expect(BatchRequestSchema.parse({ orders: [ok] }).rollback_on_failure).toBe(true);
  });
});

describe('rate limiter', () => {
  it('lets a burst through, then spaces requests at the rate', async () => {
    const clock = createFakeClock(0);
    const limiter = createRateLimiter({ perSecond: 2, burst: 2, clock });
    const at: number[] = [];
    const all = [1, 2, 3, 4].map(() => limiter.take().then(() => at.push(clock.now())));
    await Promise.resolve();
    for (let t = 0; t < 1_000; t += 50) {
      clock.advance(50);
      await Promise.resolve();
    }
    await Promise.all(all);
    expect(at).toEqual([0, 0, 500, 1_000]);
  });
});

describe('readPlacement', () => {
  const res = (status: number) => ({ status, body: null });
  it.each([
    [200, 'OID', { kind: 'placed', orderId: 'OID' }],
    [201, 'OID', { kind: 'placed', orderId: 'OID' }],
    [400, null, { kind: 'rejected', message: 'why' }],
    [403, null, { kind: 'rejected', message: 'why' }],
    [422, 'OID', { kind: 'rejected', message: 'why' }],
    [429, null, { kind: 'rejected', message: 'why' }],
  ] as const)('%i with id %s → %j', (status, id, outcome) => {
    expect(readPlacement(res(status), id, 'why')).toEqual(outcome);
  });
  it.each([
    [200, null],
    [202, null],
    [302, null],
    [408, null],
    [404, null],
  ] as const)('%i with id %s proves nothing: an error, so the leg is looked up', (status, id) => {
    expect(() => readPlacement(res(status), id, 'why')).toThrow(GatewayError);
  });
});
