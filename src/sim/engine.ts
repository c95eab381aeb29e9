/**
 * The simulated broker's order book and order lifecycles, independent of any wire format. Each
 * change updates the book and then, synchronously, tells the listeners, so the book and a
 * stream built on them never disagree. Each working order holds at most one timer; a terminal
 * order holds none.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Random } from '../util/rng.js';
import { lotOf, pick, referencePaise, rejectionMessages } from './catalog.js';
import type { Faults } from './faults.js';
import { applyStep, decideStep, nextDelay } from './lifecycle.js';
import {
  cancel,
  fill,
  isTerminalStatus,
  type LiveOrder,
  type PlaceOrder,
  type SimOrder,
  toPaise,
} from './order.js';
import { createOrder } from './place.js';

export interface EngineDeps {
  accounts: readonly string[];
  clock: Clock;
  random: Random;
  faults: Pick<Faults, 'take'>;
  /** Chance that a background order is rejected at placement (default 0.05). */
  backgroundRejectRate?: number;
  /** Chance that an order placed through the API is rejected at random (default 0). */
  apiRejectRate?: number;
  /** Whether the sim's own trader modifies resting orders (default true; Alpaca replaces instead). */
  modifications?: boolean;
}

export type PlaceResult = { ok: boolean; order: SimOrder };
export interface PlaceOptions {
  /** Placed by the sim's own trader rather than through the API. */
  background?: boolean;
  /**
   * A rejected placement leaves no order behind (nothing in the book, nothing emitted), as when a
   * broker refuses the request synchronously (Alpaca's 403) instead of rejecting an order it took.
   */
  dropRejected?: boolean;
}
/** What one update did to the order; a fill says how much at what price (this execution only). */
export type OrderChange =
  | { kind: 'placed' | 'rejected' | 'cancel' | 'trigger' | 'modify' }
  | { kind: 'fill'; qty: number; price: number };
export type CancelResult =
  | { ok: true; order: SimOrder }
  | { ok: false; code: 'not_found' }
  | { ok: false; code: 'not_cancellable'; order: SimOrder };
export type UpdateListener = (account: string, order: SimOrder, change: OrderChange) => void;

export interface Engine {
  readonly accounts: readonly string[];
  has(account: string): boolean;
  /** Copies of the account's orders, in creation order, optionally only those with a tag. */
  book(account: string, tag?: string): SimOrder[];
  place(account: string, req: PlaceOrder, opts?: PlaceOptions): PlaceResult;
  cancel(account: string, orderId: string): CancelResult;
  /** Subscribes to every change; returns the unsubscribe. */
  onUpdate(fn: UpdateListener): () => void;
  /** How many lifecycle timers are pending. */
  timers(): number;
  close(): void;
}

/** The engine over an injected clock and random source. */
export function createEngine(deps: EngineDeps): Engine {
  const { clock, random, faults } = deps;
  const books = new Map(deps.accounts.map((a) => [a, [] as LiveOrder[]]));
  const byId = new Map<string, LiveOrder>();
  const timers = new Map<LiveOrder, TimerHandle>();
  const listeners = new Set<UpdateListener>();
  let seq = 0;
  let closed = false;

  const emit = (live: LiveOrder, change: OrderChange) => {
    const copy = { ...live.order };
    for (const fn of listeners) fn(live.account, copy, change);
  };
  const step = { modify: deps.modifications ?? true };

  function schedule(live: LiveOrder): void {
    if (closed || isTerminalStatus(live.order.status)) return;
    const handle = clock.setTimeout(
      () => {
        timers.delete(live);
        const next = decideStep(live, lotOf(live.order.tradingsymbol), random, step);
        const before = live.order.filled_quantity;
        applyStep(live, next, clock.now());
        const qty = live.order.filled_quantity - before;
        emit(
          live,
          next.kind === 'fill' ? { kind: 'fill', qty, price: next.pricePaise / 100 } : { kind: next.kind },
        );
        schedule(live);
      },
      nextDelay(live, random),
    );
    timers.set(live, handle);
  }

  function rejection(account: string, background: boolean): string | null {
    if (faults.take(account, 'reject_next')) return 'Rejected by simulator (reject_next fault)';
    const rate = background ? (deps.backgroundRejectRate ?? 0.05) : (deps.apiRejectRate ?? 0);
    return rate > 0 && random() < rate ? pick(random, rejectionMessages) : null;
  }

  function fillAtOnce(live: LiveOrder): void {
    const o = live.order;
    const at = o.order_type === 'LIMIT' || o.order_type === 'SL' ? o.price : o.trigger_price;
    const qty = o.pending_quantity;
    const paise = at > 0 ? toPaise(at) : live.refPaise;
    fill(live, qty, paise, clock.now());
    emit(live, { kind: 'fill', qty, price: paise / 100 });
  }

  const known = (account: string) => {
    const book = books.get(account);
    if (!book) throw new Error(`unknown account: ${account}`);
    return book;
  };

  return {
    accounts: deps.accounts,
    has: (account) => books.has(account),
    book: (account, tag) =>
      known(account)
        .filter((l) => tag === undefined || l.order.tag === tag)
        .map((l) => ({ ...l.order })),

    place(account, req, opts = {}) {
      const book = known(account);
      const background = opts.background ?? false;
      const reject = rejection(account, background);
      const live = createOrder({
        account,
        seq: ++seq,
        req,
        now: clock.now(),
        refPaise: referencePaise(req.tradingsymbol, req.price),
        background,
        reject,
      });
      if (reject && opts.dropRejected) return { ok: false, order: { ...live.order } };
      book.push(live);
      byId.set(live.order.order_id, live);
      emit(live, { kind: reject ? 'rejected' : 'placed' });
      if (!reject && faults.take(account, 'fill_on_place')) fillAtOnce(live);
      schedule(live);
      return { ok: reject === null, order: { ...live.order } };
    },

    cancel(account, orderId) {
      const live = byId.get(orderId);
      if (!live || live.account !== account) return { ok: false, code: 'not_found' };
      if (isTerminalStatus(live.order.status))
        return { ok: false, code: 'not_cancellable', order: { ...live.order } };
      clock.clearTimeout(timers.get(live));
      timers.delete(live);
      cancel(live, clock.now(), 'Cancelled by user');
      emit(live, { kind: 'cancel' });
      return { ok: true, order: { ...live.order } };
    },

    onUpdate(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    timers: () => timers.size,
    close() {
      closed = true;
      for (const h of timers.values()) clock.clearTimeout(h);
      timers.clear();
      listeners.clear();
    },
  };
}
