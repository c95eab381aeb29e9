/**
 * Reading a placement's answer honestly, for every dialect: only a refusal proves an order was
 * not placed. A success without an order id, or a status that proves nothing (a proxy's 408, a
 * 202), is an error, which makes the executor look the leg up by its client id instead of
 * calling it rejected while it may be live.
 */
import { GatewayError } from '../../util/errors.js';
import type { RestResponse } from '../rest.js';
import type { PlaceOutcome } from './types.js';

/** Statuses with which brokers refuse an order: bad input, no margin, a conflict, throttling. */
const refusals = new Set([400, 403, 409, 422, 429]);

/**
 * The outcome of a placement whose auth and server failures the dialect has already thrown.
 * `orderId` is the id the dialect read from a success body, or null.
 */
export function readPlacement(res: RestResponse, orderId: string | null, message: string): PlaceOutcome {
  if (res.status >= 200 && res.status < 300) {
    if (orderId) return { kind: 'placed', orderId };
    throw new GatewayError('upstream_error', `place answered ${res.status} without an order id`);
  }
  if (refusals.has(res.status)) return { kind: 'rejected', message };
  throw new GatewayError('upstream_error', `place answered ${res.status}: ${message}`);
}
