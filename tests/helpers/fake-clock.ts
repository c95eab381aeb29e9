/**
 * A manual Clock for tests (STYLE.md habit 1): time moves only when the test says so, and due
 * timers fire in order of due time, then of scheduling, with `now()` set to each timer's due time.
 */
import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Timer {
  /** Tie-break among timers due at once: scheduling order (renewed when an interval re-arms). */
  seq: number;
  due: number;
  fn: () => void;
  /** Repeat period for intervals, null for timeouts. */
  every: number | null;
}

export interface FakeClock extends Clock {
  /** Moves time forward by ms, firing every timer that falls due on the way (and those they schedule). */
  advance(ms: number): void;
  /** Like advance, but lets promises and I/O callbacks run after each timer fires. */
  advanceAsync(ms: number): Promise<void>;
  /** Moves time to the next due timer and fires it; returns false when none is pending. */
  next(): boolean;
  /** Fires timers until none is left, at most `limit` of them (intervals would run forever). */
  runAll(limit?: number): number;
  /** How many timers are pending. */
  pending(): number;
}

/** A manual clock starting at startMs (ms since the epoch). */
export function createFakeClock(startMs = 0): FakeClock {
  let now = startMs;
  let nextSeq = 1;
  /** Keyed by the handle given out, so clearing works however often an interval re-arms. */
  const timers = new Map<TimerHandle, Timer>();

  function schedule(fn: () => void, ms: number, every: number | null): TimerHandle {
    const handle: TimerHandle = {};
    // As Node does: a delay past 2^31-1 ms (about 24.8 days) overflows and fires after 1 ms.
    const delay = ms > 2_147_483_647 ? 1 : Math.max(0, ms);
    timers.set(handle, { seq: nextSeq++, due: now + delay, fn, every });
    return handle;
  }

  function clear(handle: TimerHandle | undefined): void {
    if (handle) timers.delete(handle);
  }

  /** The earliest pending timer due at or before `limit`, ties broken by scheduling order. */
  function earliest(limit: number): [TimerHandle, Timer] | undefined {
    let best: [TimerHandle, Timer] | undefined;
    for (const entry of timers) {
      const t = entry[1];
      if (t.due > limit) continue;
      if (!best || t.due < best[1].due || (t.due === best[1].due && t.seq < best[1].seq)) best = entry;
    }
    return best;
  }

  function fire([handle, t]: [TimerHandle, Timer]): void {
    now = Math.max(now, t.due);
    if (t.every === null) {
      timers.delete(handle);
    } else {
      // Re-armed behind the timers already set for that instant, as Node's timer lists do.
      t.due += t.every;
      t.seq = nextSeq++;
    }
    t.fn();
  }

  const clock: FakeClock = {
    now: () => now,
    setTimeout: (fn, ms) => schedule(fn, ms, null),
    clearTimeout: clear,
    // A zero or negative period would never let time move on: clamp it to 1 ms.
    setInterval: (fn, ms) => schedule(fn, Math.max(1, ms), Math.max(1, ms)),
    clearInterval: clear,

    advance(ms) {
      const target = now + Math.max(0, ms);
      for (let t = earliest(target); t; t = earliest(target)) fire(t);
      now = target;
    },

    async advanceAsync(ms) {
      const target = now + Math.max(0, ms);
      for (let t = earliest(target); t; t = earliest(target)) {
        fire(t);
        await new Promise((r) => setImmediate(r));
      }
      now = target;
    },

    next() {
      const t = earliest(Number.POSITIVE_INFINITY);
      if (!t) return false;
      fire(t);
      return true;
    },

    runAll(limit = 10_000) {
      let fired = 0;
      while (fired < limit && clock.next()) fired++;
      return fired;
    },

    pending: () => timers.size,
  };
  return clock;
}
