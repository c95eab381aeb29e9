/**
 * The rate limit on client messages: a token bucket per connection (50/s, burst 100 by
 * default). The first message over the limit gets a warning frame; another one over it within
 * ten seconds closes the connection with 4029.
 */
import { createTokenBucket } from '../util/token-bucket.js';

export type GuardVerdict = 'ok' | 'warn' | 'close';

/** The per-connection message limit; admit() once per client message. */
export function createMessageGuard(
  limits: { messagesPerSecond: number; messageBurst: number },
  now: () => number,
  graceMs = 10_000,
): { admit(): GuardVerdict } {
  const bucket = createTokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
  let warnedAt: number | null = null;
  return {
    admit() {
      if (bucket.take()) return 'ok';
      if (warnedAt !== null && now() - warnedAt <= graceMs) return 'close';
      warnedAt = now();
      return 'warn';
    },
  };
}
