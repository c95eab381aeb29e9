/**
 * Time as a dependency. Everything that waits (backoff, heartbeats, watchdogs, timeouts) takes a
 * Clock so tests drive time by hand instead of sleeping (STYLE.md habit 1).
 */

export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

/** The real clock. Timers are unref'd so a pending heartbeat never keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => {
    if (h) clearTimeout(h as NodeJS.Timeout);
  },
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => {
    if (h) clearInterval(h as NodeJS.Timeout);
  },
};
