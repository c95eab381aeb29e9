/**
 * The manual clock the sim and link tests drive time with: order of firing, intervals, clearing
 * from inside callbacks, timers scheduled while advancing.
 */
import { describe, expect, it } from 'vitest';
import { createFakeClock } from './helpers/fake-clock.js';

describe('fake clock', () => {
  it('fires due timers in due order, ties in scheduling order, with now() at each due time', () => {
    const clock = createFakeClock(1_000);
    const log: string[] = [];
    clock.setTimeout(() => log.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => log.push('late'), 31);
    clock.advance(30);
    expect(log).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1_030);
    expect(clock.pending()).toBe(1);
    clock.advance(1);
    expect(log.at(-1)).toBe('late');
    expect(clock.pending()).toBe(0);
  });

  it('fires timers scheduled during advance when they fall inside the window', () => {
    const clock = createFakeClock(0);
    const log: number[] = [];
    clock.setTimeout(() => {
      log.push(clock.now());
      clock.setTimeout(() => log.push(clock.now()), 5);
      clock.setTimeout(() => log.push(clock.now()), 50);
    }, 10);
    clock.advance(20);
    expect(log).toEqual([10, 15]);
    clock.advance(40);
    expect(log).toEqual([10, 15, 60]);
  });

  it('repeats intervals until cleared, even from their own callback', () => {
    const clock = createFakeClock(0);
    const ticks: number[] = [];
    const h = clock.setInterval(() => {
      ticks.push(clock.now());
      if (ticks.length === 3) clock.clearInterval(h);
    }, 100);
    clock.advance(1_000);
    expect(ticks).toEqual([100, 200, 300]);
    expect(clock.pending()).toBe(0);
  });

  it('interleaves intervals and timeouts by due time', () => {
    const clock = createFakeClock(0);
    const log: string[] = [];
    const h = clock.setInterval(() => log.push(`i${clock.now()}`), 10);
    clock.setTimeout(() => log.push(`t${clock.now()}`), 25);
    clock.setTimeout(() => log.push(`u${clock.now()}`), 30);
    clock.advance(30);
    expect(log).toEqual(['i10', 'i20', 't25', 'u30', 'i30']);
    clock.clearInterval(h);
    clock.clearTimeout(undefined);
    expect(clock.pending()).toBe(0);
  });

  it('cancels a timer cleared by an earlier one due at the same time', () => {
    const clock = createFakeClock(0);
    const log: string[] = [];
    let second: ReturnType<typeof clock.setTimeout> | undefined;
    clock.setTimeout(() => clock.clearTimeout(second), 10);
    second = clock.setTimeout(() => log.push('second'), 10);
    clock.advance(10);
    expect(log).toEqual([]);
  });

  it('steps with next() and runAll(), bounded for intervals', () => {
    const clock = createFakeClock(0);
    const log: number[] = [];
    clock.setTimeout(() => log.push(clock.now()), 300);
    clock.setTimeout(() => log.push(clock.now()), 100);
    expect(clock.next()).toBe(true);
    expect(log).toEqual([100]);
    expect(clock.runAll()).toBe(1);
    expect(log).toEqual([100, 300]);
    expect(clock.next()).toBe(false);
    clock.setInterval(() => {}, 0);
    expect(clock.runAll(5)).toBe(5);
    expect(clock.now()).toBe(305);
  });

  it('advanceAsync lets promise callbacks run between timers', async () => {
    const clock = createFakeClock(0);
    const log: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        log.push(`then@${clock.now()}`);
        clock.setTimeout(() => log.push(`chained@${clock.now()}`), 5);
      });
    }, 10);
    await clock.advanceAsync(20);
    expect(log).toEqual(['then@10', 'chained@15']);
    expect(clock.now()).toBe(20);
  });
});
