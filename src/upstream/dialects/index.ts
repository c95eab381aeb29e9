/**
 * The dialect registry: config names to adapters.
 */
import type { DialectName } from '../../config/schema.js';
import { alpaca } from './alpaca.js';
import { kite } from './kite.js';
import { tickerService } from './ticker-service.js';
import type { Dialect } from './types.js';

const dialects: Record<DialectName, Dialect> = {
  'ticker-service': tickerService,
  kite,
  alpaca,
};

export function dialectFor(name: DialectName): Dialect {
  return dialects[name];
}
