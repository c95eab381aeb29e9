/**
 * The dialect registry: config names to adapters.
 */
import type { DialectName } from '../../config/schema.js';
import { tickerService } from './ticker-service.js';
import type { Dialect } from './types.js';

const dialects: Record<DialectName, Dialect> = {
  'ticker-service': tickerService,
};

export function dialectFor(name: DialectName): Dialect {
  return dialects[name];
}
