/**
 * One leg's steps, each journaled before it is taken: place, resolve a placement whose answer
 * never came (look it up by client id), cancel and wait for a final state.
 */
import type { NormalizeContext } from '../orders/kite-vocabulary.js';
import { isTerminal, type Order } from '../orders/model.js';
import type { LegRow } from '../store/types.js';
import type { DialectAccount, OrderApi } from '../upstream/dialects/types.js';
import type { LinkState } from '../upstream/link.js';
import type { RestClient } from '../upstream/rest.js';
import type { Clock } from '../util/clock.js';
import { GatewayError } from '../util/errors.js';
import type { RateLimiter } from './rate-limit.js';
import type { Leg, LegStatus } from './schema.js';

/** What a leg's steps need of the account and of the gateway. */
export interface LegContext {
  api: OrderApi;
  rest: RestClient;
  account: () => DialectAccount;
  limiter: RateLimiter;
  clock: Clock;
  linkState: () => LinkState;
  /** The gateway's live view of an order, fed by the stream. */
  known: (orderId: string) => Order | undefined;
  normalize: () => NormalizeContext;
  legTimeoutMs: number;
  finalStateTimeoutMs: number;
  pollMs: number;
  /** Journals a step on the leg (the store write happens before the step is taken). */
  save: (leg: LegRow, patch: Partial<LegRow> & { step: string }) => void;
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
const codeOf = (err: unknown) => (err instanceof GatewayError ? err.code : 'internal');

/** A broker order's state as a leg status. */
function legStatusOf(order: Order): LegStatus {
  switch (order.status) {
    case 'filled':
      return 'filled';
    case 'cancelled':
    case 'expired':
      return 'cancelled';
    case 'rejected':
      return 'rejected';
    default:
      return 'open';
  }
}

/** Places a leg. A 4xx answer is a rejection; no answer (or a 5xx) leaves it to be looked up. */
export async function placeLeg(ctx: LegContext, leg: LegRow, request: Leg): Promise<void> {
  ctx.save(leg, { step: 'placing' });
  await ctx.limiter.take();
  try {
    const r = await ctx.api.place(ctx.rest, ctx.account(), request, leg.client_order_id, ctx.legTimeoutMs);
    if (r.kind === 'placed')
      ctx.save(leg, { step: 'placed', status: 'placed', order_id: r.orderId, error: null });
    else ctx.save(leg, { step: 'rejected', status: 'rejected', error: r.message });
  } catch (err) {
    const code = codeOf(err);
    if (code === 'upstream_unavailable' || code === 'unauthorized') {
      ctx.save(leg, {
        step: code === 'unauthorized' ? 'rejected' : 'not_sent',
        status: 'rejected',
        error: (err as Error).message,
      });
      return;
    }
    ctx.save(leg, { step: 'unknown', status: 'unknown', error: `no answer: ${(err as Error).message}` });
    await resolveLeg(ctx, leg);
  }
}

/**
 * Looks a leg up by its client id: found means placed; absent for a whole leg timeout means
 * never placed (the broker may still have been taking it at the first look).
 */
export async function resolveLeg(ctx: LegContext, leg: LegRow): Promise<void> {
  try {
    const deadline = ctx.clock.now() + ctx.legTimeoutMs;
    let order = await ctx.api.findByClientId(ctx.rest, ctx.account(), leg.client_order_id, ctx.normalize());
    while (!order && ctx.clock.now() < deadline) {
      await sleep(ctx.clock, Math.max(ctx.pollMs, 250));
      order = await ctx.api.findByClientId(ctx.rest, ctx.account(), leg.client_order_id, ctx.normalize());
    }
    if (!order) {
      ctx.save(leg, {
        step: 'not_found',
        status: 'rejected',
        error: `${leg.error ?? 'no answer'}; not at the broker`,
      });
      return;
    }
    const status = order.status === 'rejected' ? 'rejected' : 'placed';
    const how = `${leg.error ?? 'no answer'}; found by client id`;
    ctx.save(leg, {
      step: 'found',
      status,
      order_id: order.order_id,
      filled_quantity: order.filled_quantity,
      error: status === 'rejected' ? `${how}: ${order.status_message ?? 'rejected'}` : how,
    });
  } catch (err) {
    ctx.save(leg, {
      step: 'unknown',
      status: 'unknown',
      error: `${leg.error ?? 'no answer'}; lookup failed: ${(err as Error).message}`,
    });
  }
}

/**
 * For brokers that reject after accepting (Kite): waits until a placed leg leaves `pending`, and
 * records a rejection as one. A leg still pending at the deadline stays placed: it is live.
 */
export async function confirmLeg(ctx: LegContext, leg: LegRow): Promise<void> {
  const deadline = ctx.clock.now() + ctx.legTimeoutMs;
  for (let round = 0; leg.order_id; round++) {
    const order = await currentState(ctx, leg, round % 4 === 0);
    if (order && order.status !== 'pending') {
      if (order.status === 'rejected') {
        ctx.save(leg, {
          step: 'rejected',
          status: 'rejected',
          error: order.status_message ?? 'rejected by the broker',
        });
      }
      return;
    }
    if (ctx.clock.now() >= deadline) return;
    await sleep(ctx.clock, ctx.pollMs);
  }
}

/** Reads a leg's real state from the broker, for a leg whose outcome the broker summarized. */
export async function verifyLeg(ctx: LegContext, leg: LegRow): Promise<void> {
  try {
    const order = await ctx.api.findByClientId(ctx.rest, ctx.account(), leg.client_order_id, ctx.normalize());
    if (!order) return;
    ctx.save(leg, {
      step: 'verified',
      status: legStatusOf(order),
      order_id: order.order_id,
      filled_quantity: order.filled_quantity,
    });
  } catch {
    // Keep the broker's summary: it is all there is.
  }
}

/** The order's state: from the stream when the link is up, else (or when silent) from REST. */
async function currentState(ctx: LegContext, leg: LegRow, askBroker: boolean): Promise<Order | undefined> {
  const live = leg.order_id ? ctx.known(leg.order_id) : undefined;
  if (live && (isTerminal(live.status) || !askBroker)) return live;
  if (!askBroker && ctx.linkState() === 'connected') return live;
  try {
    return (
      (await ctx.api.findByClientId(ctx.rest, ctx.account(), leg.client_order_id, ctx.normalize())) ?? live
    );
  } catch {
    return live;
  }
}

/** Cancels a placed leg and waits until it reaches a final state, or the deadline passes. */
export async function rollBackLeg(ctx: LegContext, leg: LegRow): Promise<void> {
  if (!leg.order_id) return;
  ctx.save(leg, { step: 'cancelling' });
  await ctx.limiter.take();
  let refusal: string | null = null;
  try {
    const r = await ctx.api.cancel(ctx.rest, ctx.account(), leg.order_id, ctx.legTimeoutMs);
    if (r.kind === 'not_cancellable' || r.kind === 'not_found') refusal = r.message;
  } catch (err) {
    refusal = (err as Error).message;
  }
  const deadline = ctx.clock.now() + ctx.finalStateTimeoutMs;
  for (let round = 0; ; round++) {
    // Ask the broker on the first round, then every fourth, and whenever the stream is down.
    const order = await currentState(ctx, leg, round % 4 === 0);
    if (order && isTerminal(order.status)) {
      const status = legStatusOf(order);
      const error =
        status === 'filled' ? `filled before the cancel landed${refusal ? ` (${refusal})` : ''}` : null;
      ctx.save(leg, { step: status, status, filled_quantity: order.filled_quantity, error });
      return;
    }
    if (ctx.clock.now() >= deadline) {
      const filled = order?.filled_quantity ?? leg.filled_quantity;
      ctx.save(leg, {
        step: 'open',
        status: order ? 'open' : 'unknown',
        filled_quantity: filled,
        error: `no final state after ${ctx.finalStateTimeoutMs} ms${refusal ? `; cancel: ${refusal}` : ''}`,
      });
      return;
    }
    await sleep(ctx.clock, ctx.pollMs);
  }
}
