/**
 * A token bucket per account for broker requests (Kite allows 10 orders/s): legs wait their
 * turn instead of getting the account throttled. Time comes from the injected clock.
 */
import type { Clock } from '../util/clock.js';

export interface RateLimiter {
  /** Resolves when a request may go out. Requests are served in arrival order. */
  take(): Promise<void>;
}

export function createRateLimiter(opts: { perSecond: number; burst: number; clock: Clock }): RateLimiter {
  const { perSecond, burst, clock } = opts;
  let tokens = burst;
  let last = clock.now();
  const waiting: (() => void)[] = [];
  let timer: ReturnType<Clock['setTimeout']> | undefined;

  const refill = () => {
    const now = clock.now();
    tokens = Math.min(burst, tokens + ((now - last) * perSecond) / 1000);
    last = now;
  };
  const drain = () => {
    timer = undefined;
    refill();
    while (waiting.length > 0 && tokens >= 1) {
      tokens -= 1;
      waiting.shift()?.();
    }
    if (waiting.length > 0) timer = clock.setTimeout(drain, Math.ceil(((1 - tokens) * 1000) / perSecond));
  };
  return {
    take() {
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (!timer) drain();
      });
    },
  };
}
