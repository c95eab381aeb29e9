/**
 * The downstream heartbeat on a fake clock (the real path, a client that stops answering pings
 * being terminated, is in downstream.test.ts): every session is pinged once per interval, the
 * pings are spread across it rather than sent in one burst, and a session that missed its ping
 * is terminated at its next turn.
 */
import { describe, expect, it } from 'vitest';
import { type Beating, createHeartbeat, heartbeatSlices } from '../src/downstream/heartbeat.js';
import { createFakeClock } from './helpers/fake-clock.js';

interface FakeSession extends Beating {
  id: number;
  pings: number;
  terminated: number;
  /** Answers every ping (sets alive again) unless told not to. */
  answers: boolean;
}

function sessions(n: number): FakeSession[] {
  return Array.from({ length: n }, (_, id) => {
    const s: FakeSession = {
      id,
      alive: true,
      pings: 0,
      terminated: 0,
      answers: true,
      ping() {
        s.pings++;
        if (s.answers) s.alive = true;
      },
      terminate() {
        s.terminated++;
      },
    };
    return s;
  });
}

describe('heartbeat', () => {
  it('splits the interval into as many whole-ms groups as fit, at most 120, none shorter than 100 ms', () => {
    expect(heartbeatSlices(30_000)).toBe(120); // a group every 250 ms
    expect(heartbeatSlices(25_000)).toBe(100);
    expect(heartbeatSlices(1_000)).toBe(10);
    expect(heartbeatSlices(150)).toBe(1);
    expect(heartbeatSlices(10)).toBe(1);
  });

  it('pings every session once per interval, a few at a time, never all in one tick', () => {
    const clock = createFakeClock();
    const hb = createHeartbeat<FakeSession>(clock, 30_000);
    const all = sessions(1_000);
    for (const s of all) hb.add(s);

    const perTick: number[] = [];
    let before = 0;
    for (let t = 0; t < 120; t++) {
      clock.advance(250);
      const now = all.reduce((n, s) => n + s.pings, 0);
      perTick.push(now - before);
      before = now;
    }
    expect(all.every((s) => s.pings === 1)).toBe(true);
    expect(Math.max(...perTick)).toBe(9); // ceil(1,000 / 120)
    expect(Math.min(...perTick)).toBe(8);

    clock.advance(30_000);
    expect(all.every((s) => s.pings === 2 && s.terminated === 0)).toBe(true);
    hb.stop();
  });

  it('terminates a session that did not answer at its next turn, and forgets one that left', () => {
    const clock = createFakeClock();
    const hb = createHeartbeat<FakeSession>(clock, 1_000);
    const [quiet, talker, gone] = sessions(3) as [FakeSession, FakeSession, FakeSession];
    quiet.answers = false;
    hb.add(quiet);
    hb.add(talker);
    const leave = hb.add(gone);

    clock.advance(1_000);
    expect([quiet.pings, talker.pings, gone.pings]).toEqual([1, 1, 1]);
    expect(quiet.terminated).toBe(0);

    leave();
    clock.advance(1_000);
    expect(quiet.terminated).toBe(1);
    expect(quiet.pings).toBe(1); // terminated, not pinged again
    expect(talker).toMatchObject({ pings: 2, terminated: 0 });
    expect(gone.pings).toBe(1);

    hb.stop();
    clock.advance(10_000);
    expect(talker.pings).toBe(2);
  });
});
