/**
 * The downstream heartbeat on a fake clock (the real path, a client that stops answering pings
 * being terminated, is in downstream.test.ts): every session is pinged once per interval, the
 * pings are spread across it rather than sent in one burst, and a session that missed its ping
 * is terminated at its next turn.
 */
import { describe, expect, it } from 'vitest';
import { type Beating, createHeartbeat, heartbeatSlices } from '../src/downstream/heartbeat.js';
import type { Clock } from '../src/util/clock.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';

interface FakeSession extends Beating {
  id: number;
  pings: number;
  terminated: number;
  /** Answers every ping (sets alive again) unless told not to. */
  answers: boolean;
  /** Leaves the heartbeat when terminated, as the real session does (through onClose). */
  leave: () => void;
}

function sessions(n: number): FakeSession[] {
  return Array.from({ length: n }, (_, id) => {
    const s: FakeSession = {
      id,
      alive: true,
      pings: 0,
      terminated: 0,
      answers: true,
      leave: () => {},
      ping() {
        s.pings++;
        if (s.answers) s.alive = true;
      },
      terminate() {
        s.terminated++;
        s.leave();
      },
    };
    return s;
  });
}

/** Pings per turn over one interval, advancing the clock one turn at a time. */
function pingsPerTurn(clock: FakeClock, all: FakeSession[], heartbeatMs: number): number[] {
  const turns = heartbeatSlices(heartbeatMs);
  const perTurn: number[] = [];
  let before = all.reduce((n, s) => n + s.pings, 0);
  for (let t = 1; t <= turns; t++) {
    clock.advance(Math.round((t * heartbeatMs) / turns) - Math.round(((t - 1) * heartbeatMs) / turns));
    const now = all.reduce((n, s) => n + s.pings, 0);
    perTurn.push(now - before);
    before = now;
  }
  return perTurn;
}

/**
 * A wall clock moved by hand, with the one timer the heartbeat keeps: the fake clock can't show
 * a clock step, as it always fires a timer at its due time.
 */
function steppedClock() {
  let now = 1_000_000;
  let pending: { fn: () => void; wait: number } | undefined;
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      pending = { fn, wait: ms };
      return {};
    },
    clearTimeout: () => {
      pending = undefined;
    },
    setInterval: () => ({}),
    clearInterval: () => {},
  };
  return {
    clock,
    /** How long the heartbeat asked to wait. */
    wait: () => pending?.wait,
    /** The timer fires after its wait, with the wall clock moved by `step` on top. */
    fire(step = 0) {
      const p = pending as { fn: () => void; wait: number };
      now += p.wait + step;
      pending = undefined;
      p.fn();
    },
  };
}

describe('heartbeat', () => {
  it('splits the interval into up to 120 groups, none checked more often than every 100 ms', () => {
    expect(heartbeatSlices(30_000)).toBe(120); // a group every 250 ms
    expect(heartbeatSlices(29_989)).toBe(120); // need not divide it
    expect(heartbeatSlices(1_000)).toBe(10);
    expect(heartbeatSlices(150)).toBe(1);
    expect(heartbeatSlices(10)).toBe(1);
  });

  it.each([30_000, 29_989])(
    'pings every session once per interval of %i ms, a few at a time, never all in one tick',
    (heartbeatMs) => {
      const clock = createFakeClock();
      const hb = createHeartbeat<FakeSession>(clock, heartbeatMs);
      const all = sessions(1_000);
      for (const s of all) hb.add(s);

      const perTurn = pingsPerTurn(clock, all, heartbeatMs);
      expect(perTurn).toHaveLength(120);
      expect(all.every((s) => s.pings === 1)).toBe(true);
      expect(Math.max(...perTurn)).toBe(9); // ceil(1,000 / 120)
      expect(Math.min(...perTurn)).toBe(8);

      clock.advance(heartbeatMs);
      expect(all.every((s) => s.pings === 2 && s.terminated === 0)).toBe(true);
      hb.stop();
    },
  );

  it('keeps the groups even as sessions come and go', () => {
    const clock = createFakeClock();
    const hb = createHeartbeat<FakeSession>(clock, 1_000); // 10 groups
    const first = sessions(20);
    const leaves = first.map((s) => hb.add(s));
    // Sessions were dealt 0-9 then 10-19 into groups 0-9: empty groups 0-4 entirely.
    for (const i of [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]) leaves[i]?.();
    const later = sessions(10);
    for (const s of later) hb.add(s);
    // The newcomers fill groups 0-4: two sessions per turn again.
    expect(pingsPerTurn(clock, [...first, ...later], 1_000)).toEqual(new Array(10).fill(2));
    hb.stop();
  });

  it('terminates the sessions that did not answer at their next turn, and forgets one that left', () => {
    const clock = createFakeClock();
    const hb = createHeartbeat<FakeSession>(clock, 100); // one group: every session in one turn
    const [quiet, quieter, talker, gone] = sessions(4) as [
      FakeSession,
      FakeSession,
      FakeSession,
      FakeSession,
    ];
    quiet.answers = false;
    quieter.answers = false;
    for (const s of [quiet, quieter, talker, gone]) s.leave = hb.add(s);

    clock.advance(100);
    expect([quiet, quieter, talker, gone].map((s) => s.pings)).toEqual([1, 1, 1, 1]);
    expect(quiet.terminated + quieter.terminated).toBe(0);

    gone.leave();
    clock.advance(100);
    // Both quiet sessions leave the group inside the same turn; the loop still reaches the rest.
    expect([quiet.terminated, quieter.terminated]).toEqual([1, 1]);
    expect([quiet.pings, quieter.pings]).toEqual([1, 1]); // terminated, not pinged again
    expect(talker).toMatchObject({ pings: 2, terminated: 0 });
    expect(gone.pings).toBe(1);

    clock.advance(100);
    expect([quiet.terminated, quieter.terminated]).toEqual([1, 1]); // gone from the group
    expect(talker.pings).toBe(3);

    hb.stop();
    clock.advance(10_000);
    expect(talker.pings).toBe(3);
  });

  it.each([
    ['back', -3_600_000],
    ['ahead', 3_600_000],
  ])('keeps one turn per slice when the wall clock steps %s an hour', (_, step) => {
    const t = steppedClock();
    const hb = createHeartbeat<FakeSession>(t.clock, 30_000);
    const all = sessions(240);
    for (const s of all) hb.add(s);
    expect(t.wait()).toBe(250);
    t.fire();
    t.fire(step);
    // Not an hour's pause (back), nor turns back to back to catch up (ahead): the next turn is
    // one slice away, aimed afresh from the new time.
    expect(t.wait()).toBe(250);
    for (let i = 0; i < 118; i++) t.fire();
    expect(all.every((s) => s.pings === 1)).toBe(true);
    t.fire();
    expect(all.filter((s) => s.pings === 2)).toHaveLength(2);
    expect(all.every((s) => s.terminated === 0)).toBe(true);
    hb.stop();
  });
});
