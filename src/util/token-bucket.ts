/**
 * A token bucket: `rate` tokens a second up to `burst`. Pure arithmetic over an injected clock;
 * the rate limits on client messages, batch posts and broker orders all build on it.
 */

export interface TokenBucket {
  /** Takes a token if there is one. */
  take(): boolean;
  /** Milliseconds until a token will be there (0 when one is). */
  waitMs(): number;
}

/** A bucket that starts full. */
export function createTokenBucket(rate: number, burst: number, now: () => number): TokenBucket {
  let tokens = burst;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
    last = t;
  };
  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    waitMs() {
      refill();
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / rate);
    },
  };
}
