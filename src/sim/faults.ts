/**
 * Injected faults, per account: what the next connections, frames, placements and REST calls
 * suffer. A fault lasts `count` occurrences or `duration_ms`; expiry is checked lazily against
 * the injected clock, so faults never hold timers of their own.
 */
import { z } from 'zod';
import type { Clock } from '../util/clock.js';

export const FaultKinds = [
  'drop',
  'stall',
  'malformed',
  'auth_fail',
  'reject_next',
  'fill_on_place',
  'rest_latency',
] as const;
export type FaultKind = (typeof FaultKinds)[number];

/** Body of POST /sim/faults. `skip` lets that many occurrences pass before the fault bites. */
export const FaultRequestSchema = z.object({
  account_id: z.string().min(1),
  kind: z.enum(FaultKinds),
  count: z.number().int().positive().optional(),
  duration_ms: z.number().int().positive().optional(),
  latency_ms: z.number().int().nonnegative().optional(),
  skip: z.number().int().nonnegative().optional(),
});
export type FaultRequest = z.infer<typeof FaultRequestSchema>;

/** A fault as GET /sim/stats shows it. */
export interface FaultView {
  kind: FaultKind;
  /** Occurrences left, null when the fault lasts a duration (or, for a stall, until cleared). */
  remaining: number | null;
  /** ISO end of a duration fault. */
  until: string | null;
  skip: number;
  latency_ms: number | null;
}

interface Fault {
  account: string;
  kind: FaultKind;
  remaining: number | null;
  until: number | null;
  skip: number;
  latencyMs: number;
}

export interface Faults {
  add(req: FaultRequest): void;
  clear(): void;
  /** Is a fault of this kind in force? Does not consume an occurrence (for stall). */
  active(account: string, kind: FaultKind): boolean;
  /** Consumes one occurrence of the first live fault of this kind; null when none bites. */
  take(account: string, kind: FaultKind): { latencyMs: number } | null;
  /** How many occurrences are left (1 for a duration fault in force, 0 for none). */
  pending(account: string, kind: FaultKind): number;
  list(account: string): FaultView[];
}

const DEFAULT_LATENCY_MS = 1000;

/** The fault registry over an injected clock. */
export function createFaults(clock: Clock): Faults {
  let faults: Fault[] = [];

  const live = (f: Fault) => f.remaining !== 0 && (f.until === null || clock.now() < f.until);
  const prune = () => {
    faults = faults.filter(live);
  };
  const find = (account: string, kind: FaultKind): Fault | undefined => {
    prune();
    return faults.find((f) => f.account === account && f.kind === kind);
  };

  return {
    add(req) {
      const until = req.duration_ms === undefined ? null : clock.now() + req.duration_ms;
      // A stall without a duration lasts until cleared; every other fault defaults to once.
      const once = req.kind === 'stall' ? null : 1;
      const remaining = req.count ?? (until === null ? once : null);
      faults.push({
        account: req.account_id,
        kind: req.kind,
        remaining,
        until,
        skip: req.skip ?? 0,
        latencyMs: req.latency_ms ?? DEFAULT_LATENCY_MS,
      });
    },
    clear() {
      faults = [];
    },
    active: (account, kind) => find(account, kind) !== undefined,
    take(account, kind) {
      const f = find(account, kind);
      if (!f) return null;
      if (f.skip > 0) {
        f.skip--;
        return null;
      }
      if (f.remaining !== null) f.remaining--;
      return { latencyMs: f.latencyMs };
    },
    pending(account, kind) {
      prune();
      let n = 0;
      for (const f of faults) {
        if (f.account === account && f.kind === kind) n += f.remaining ?? 1;
      }
      return n;
    },
    list(account) {
      prune();
      return faults
        .filter((f) => f.account === account)
        .map((f) => ({
          kind: f.kind,
          remaining: f.remaining,
          until: f.until === null ? null : new Date(f.until).toISOString(),
          skip: f.skip,
          latency_ms: f.kind === 'rest_latency' ? f.latencyMs : null,
        }));
    },
  };
}
