/**
 * A manual clock implementing Clock: time moves only when a test calls advance(), which fires
 * due timers in time order (intervals re-arm), so backoff and heartbeats run without sleeping.
 */
import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every: number | null;
}

export interface FakeClock extends Clock {
  /** Moves time forward by ms, firing every timer that falls due on the way, in order. */
  advance(ms: number): void;
  /** How many timers are armed. */
  pending(): number;
}

export function createFakeClock(startMs = 0): FakeClock {
  let now = startMs;
  let nextId = 1;
  const timers = new Map<number, Timer>();
  const add = (fn: () => void, ms: number, every: number | null): TimerHandle => {
    const id = nextId++;
    timers.set(id, { id, at: now + Math.max(0, ms), fn, every });
    return { id } as unknown as TimerHandle;
  };
  const remove = (h: TimerHandle | undefined) => {
    if (h) timers.delete((h as unknown as { id: number }).id);
  };
  const due = (until: number): Timer | undefined => {
    let first: Timer | undefined;
    for (const t of timers.values()) {
      if (t.at <= until && (!first || t.at < first.at || (t.at === first.at && t.id < first.id))) first = t;
    }
    return first;
  };
  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, null),
    clearTimeout: remove,
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearInterval: remove,
    advance(ms) {
      const until = now + ms;
      for (let t = due(until); t; t = due(until)) {
        now = t.at;
        if (t.every === null) timers.delete(t.id);
        else t.at += t.every;
        t.fn();
      }
      now = until;
    },
    pending: () => timers.size,
  };
}
