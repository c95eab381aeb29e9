/**
 * What happens next to a working order, and when: MARKET orders fill in 50-300 ms; LIMIT orders
 * rest, then fill in parts (or, for the sim's own trader, get modified or cancelled) over about
 * 0.5-5 s; SL and SL-M orders wait in TRIGGER PENDING, then trigger and behave like LIMIT and
 * MARKET orders. Pure over the injected random source, so a seed replays the same book.
 */
import type { Random } from '../util/rng.js';
import { between } from './catalog.js';
import { cancel, fill, type LiveOrder, modify, toTick, trigger } from './order.js';

export type Step =
  | { kind: 'fill'; qty: number; pricePaise: number }
  | { kind: 'cancel'; message: string }
  | { kind: 'trigger' }
  | { kind: 'modify'; pricePaise: number };

/** After this many steps a resting order fills outright, which bounds every lifecycle. */
const MAX_STEPS = 4;

/** Executes at the market once open: MARKET, or SL-M after its trigger. */
const marketable = (live: LiveOrder) =>
  live.order.status === 'OPEN' && (live.order.order_type === 'MARKET' || live.order.order_type === 'SL-M');

/** Milliseconds until the order's next step. */
export function nextDelay(live: LiveOrder, random: Random): number {
  if (marketable(live)) return Math.round(between(random, 50, 300));
  if (live.order.status === 'TRIGGER PENDING') return Math.round(between(random, 500, 2500));
  if (live.steps === 0) return Math.round(between(random, 500, 2000));
  return Math.round(between(random, 300, 1200));
}

/** Where a market fill lands: the reference (or trigger) price, give or take a few ticks. */
function marketPrice(live: LiveOrder, random: Random): number {
  const o = live.order;
  const base = o.order_type === 'SL-M' ? Math.round(o.trigger_price * 100) : live.refPaise;
  const slip = Math.floor(random() * 4) * 5;
  return toTick(base + (o.transaction_type === 'BUY' ? slip : -slip));
}

/** How much of a resting order fills now, in whole lots. */
function fillQty(live: LiveOrder, lot: number, random: Random): number {
  const pending = live.order.pending_quantity;
  const lots = Math.floor(pending / lot);
  if (lots <= 1 || live.steps + 1 >= MAX_STEPS || random() < 0.45) return pending;
  return (1 + Math.floor(random() * (lots - 1))) * lot;
}

/** Chooses the next step of a working order; `opts.modify` false keeps the sim's trader from modifying. */
export function decideStep(
  live: LiveOrder,
  lot: number,
  random: Random,
  opts: { modify: boolean } = { modify: true },
): Step {
  const o = live.order;
  if (o.status === 'TRIGGER PENDING') {
    if (live.background && random() < 0.15) return { kind: 'cancel', message: 'Cancelled by user' };
    return { kind: 'trigger' };
  }
  if (marketable(live))
    return { kind: 'fill', qty: o.pending_quantity, pricePaise: marketPrice(live, random) };
  const limit = Math.round(o.price * 100);
  if (live.background && live.steps + 1 < MAX_STEPS) {
    const u = random();
    if (opts.modify && !live.modified && u < 0.1) {
      const ticks = 1 + Math.floor(random() * 5);
      return { kind: 'modify', pricePaise: toTick(limit + (o.transaction_type === 'BUY' ? 5 : -5) * ticks) };
    }
    if (u < 0.28) return { kind: 'cancel', message: 'Cancelled by user' };
  }
  return { kind: 'fill', qty: fillQty(live, lot, random), pricePaise: limit };
}

/** Applies a step to the order (the engine emits the result). */
export function applyStep(live: LiveOrder, step: Step, now: number): void {
  live.steps++;
  if (step.kind === 'fill') fill(live, step.qty, step.pricePaise, now);
  else if (step.kind === 'cancel') cancel(live, now, step.message);
  else if (step.kind === 'trigger') trigger(live, now);
  else modify(live, step.pricePaise, now);
}
