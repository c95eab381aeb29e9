/**
 * Broker order requests per account, within the broker's rate (Kite allows 10 orders/s): legs
 * wait their turn, in arrival order, instead of getting the account throttled.
 */
import type { Clock } from '../util/clock.js';
import { createTokenBucket } from '../util/token-bucket.js';

export interface RateLimiter {
  /** Resolves when a request may go out. Requests are served in arrival order. */
  take(): Promise<void>;
  /** Milliseconds the last of `n` more requests would wait behind those already queued. */
  delayFor(n: number): number;
}

/** A FIFO limiter over a token bucket of `perSecond` with `burst`. */
export function createRateLimiter(opts: { perSecond: number; burst: number; clock: Clock }): RateLimiter {
  const { clock } = opts;
  const bucket = createTokenBucket(opts.perSecond, opts.burst, clock.now);
  const waiting: (() => void)[] = [];
  let timer: ReturnType<Clock['setTimeout']> | undefined;

  const drain = () => {
    timer = undefined;
    while (waiting.length > 0 && bucket.take()) waiting.shift()?.();
    if (waiting.length > 0) timer = clock.setTimeout(drain, bucket.waitMs());
  };
  return {
    delayFor(n) {
      return Math.max(0, Math.ceil(((waiting.length + n - opts.burst) * 1000) / opts.perSecond));
    },
    take() {
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (!timer) drain();
      });
    },
  };
}
