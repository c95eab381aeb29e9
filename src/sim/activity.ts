/**
 * Background order flow: each account receives new orders from the simulated trader as a
 * Poisson process of `rate` orders per second (exponential gaps), one pending timer per account.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Random } from '../util/rng.js';
import { type Market, randomOrder } from './catalog.js';
import type { Engine } from './engine.js';

export interface Activity {
  /** Sets new orders per second for one account, or for all; 0 stops. */
  setRate(rate: number, account?: string): void;
  rate(account: string): number;
  /** No generator timer is pending (every rate is 0). */
  idle(): boolean;
  close(): void;
}

/** Exponential inter-arrival gap in ms for `rate` events per second, at least 1 ms. */
export function gapMs(rate: number, random: Random): number {
  return Math.max(1, Math.round((-Math.log(1 - random()) / rate) * 1000));
}

/** Drives background placements into the engine. */
export function createActivity(deps: {
  engine: Engine;
  clock: Clock;
  random: Random;
  rate: number;
  /** Which instruments the simulated trader uses (default IN). */
  market?: Market;
}): Activity {
  const { engine, clock, random } = deps;
  const rates = new Map<string, number>();
  const timers = new Map<string, TimerHandle>();
  let closed = false;

  function arm(account: string): void {
    clock.clearTimeout(timers.get(account));
    timers.delete(account);
    const rate = rates.get(account) ?? 0;
    if (closed || rate <= 0) return;
    const handle = clock.setTimeout(
      () => {
        timers.delete(account);
        engine.place(account, randomOrder(random, deps.market), { background: true });
        arm(account);
      },
      gapMs(rate, random),
    );
    timers.set(account, handle);
  }

  function setRate(rate: number, account?: string): void {
    if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`rate must be a number >= 0, got ${rate}`);
    if (account !== undefined && !engine.has(account)) throw new Error(`unknown account: ${account}`);
    for (const a of account === undefined ? engine.accounts : [account]) {
      rates.set(a, rate);
      arm(a);
    }
  }

  setRate(deps.rate);
  return {
    setRate,
    rate: (account) => rates.get(account) ?? 0,
    idle: () => timers.size === 0,
    close() {
      closed = true;
      for (const h of timers.values()) clock.clearTimeout(h);
      timers.clear();
    },
  };
}
