/**
 * The dialect registry: config names to adapters.
 */
import type { DialectName } from '../../config/schema.js';
import { alpaca } from './alpaca.js';
import { alpacaOrders } from './alpaca-orders.js';
import { kite } from './kite.js';
import { kiteOrders } from './kite-orders.js';
import { tickerService } from './ticker-service.js';
import type { Dialect } from './types.js';

const dialects: Record<DialectName, Dialect> = {
  'ticker-service': tickerService,
  // Order entry lives beside each adapter (it builds on its request helpers) and joins it here.
  kite: { ...kite, orders: kiteOrders },
  alpaca: { ...alpaca, orders: alpacaOrders },
};

/** The adapter for a configured dialect name. */
export function dialectFor(name: DialectName): Dialect {
  return dialects[name];
}
