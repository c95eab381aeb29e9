/**
 * The downstream heartbeat: every session gets a protocol ping once per heartbeat interval, and a
 * session that didn't answer the previous one is terminated.
 *
 * Checking every session in one sweep sends every ping in the same tick and reads every pong
 * right after. At 1,000 clients that stalled the gateway for ~80 ms every 30 s: all frames of
 * that moment waited (the bench's latency_1000x100 p99.9 of 23-34 ms came from it), and at
 * 10,000 clients it would grow about tenfold. So sessions are dealt into `slices` groups and one
 * group is checked every heartbeatMs / slices: each session is still checked once per interval,
 * and the pings and pongs are spread evenly across it.
 *
 * The turns are aimed at fixed times (anchor + k × heartbeatMs / slices), not re-armed from each
 * callback as setInterval does, so a late turn doesn't push the later ones back and a client's
 * ping period stays the heartbeat_ms it was told. The clock is the wall clock, though: when the
 * next turn is more than two slices away (it went back) or more than two slices overdue (it
 * jumped ahead, or the process stalled), the turns are aimed afresh from now. Otherwise a step
 * back would pause the heartbeat for as long, and a step ahead would run turn after turn to
 * catch up: every ping at once, and sessions pinged twice before they could answer.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** What the heartbeat needs of a session. */
export interface Beating {
  /** Cleared when pinged; set again by the session on the pong (or any message). */
  alive: boolean;
  ping(): void;
  terminate(reason: 'heartbeat'): void;
}

export interface Heartbeat<S extends Beating> {
  /** Starts checking `session`; the returned function stops it (call it when the session ends). */
  add(session: S): () => void;
  stop(): void;
}

/** At most this many groups, and no group checked more often than every MIN_SLICE_MS. */
const MAX_SLICES = 120;
const MIN_SLICE_MS = 100;

/** The number of groups an interval is split into. */
export function heartbeatSlices(heartbeatMs: number): number {
  return Math.max(1, Math.min(MAX_SLICES, Math.floor(heartbeatMs / MIN_SLICE_MS)));
}

export function createHeartbeat<S extends Beating>(clock: Clock, heartbeatMs: number): Heartbeat<S> {
  const slices = heartbeatSlices(heartbeatMs);
  const sliceMs = heartbeatMs / slices;
  const groups = Array.from({ length: slices }, () => new Set<S>());
  let turn = 0;
  /** Turn k after the anchor is due at anchor + round(k × sliceMs): whole ms, no drift. */
  let anchor = clock.now();
  let sinceAnchor = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const check = (group: Set<S>) => {
    // A terminated session leaves its group from inside this loop: Set iteration allows that.
    for (const s of group) {
      if (!s.alive) {
        s.terminate('heartbeat');
        continue;
      }
      s.alive = false;
      s.ping();
    }
  };
  const schedule = () => {
    const now = clock.now();
    const due = () => anchor + Math.round((sinceAnchor + 1) * sliceMs);
    if (Math.abs(due() - now) > 2 * sliceMs) {
      anchor = now;
      sinceAnchor = 0;
    }
    timer = clock.setTimeout(
      () => {
        if (stopped) return;
        check(groups[turn % slices] as Set<S>);
        turn++;
        sinceAnchor++;
        schedule();
      },
      Math.max(0, due() - now),
    );
  };
  schedule();

  return {
    add(session) {
      // The smallest group, so that groups stay even as clients come and go.
      let group = groups[0] as Set<S>;
      for (const g of groups) if (g.size < group.size) group = g;
      group.add(session);
      return () => group.delete(session);
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}
