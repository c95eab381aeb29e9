/**
 * Batch order metrics: outcomes, durations, where each leg ended, and idempotent replays. The
 * executor and the batch routes call these hooks; neither imports prom-client.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { BatchOutcome, BatchResult, LegStatus } from '../batch/schema.js';

const OUTCOMES: readonly BatchOutcome[] = ['success', 'failed', 'rolled_back', 'partial'];
const LEG_RESULTS: readonly LegStatus[] = ['placed', 'rejected', 'cancelled', 'filled', 'open', 'unknown'];

/** Seconds: a native batch answers in milliseconds, a rollback waits up to final_state_timeout_ms. */
export const BATCH_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The hooks the batch executor and routes call. */
export interface BatchMetrics {
  /** A batch reached its outcome after `ms` of this process's time. */
  finished(result: BatchResult, ms: number): void;
  /** A request answered from the idempotency store (Idempotent-Replayed: true). */
  replayed(): void;
}

/** Registers the batch metrics on `registry` and returns their hooks. */
export function batchMetrics(registry: Registry): BatchMetrics {
  const registers = [registry];
  const batches = new Counter({
    name: 'ordergate_batches_total',
    help: 'Batch orders finished, by outcome.',
    labelNames: ['outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'ordergate_batch_duration_seconds',
    help: 'Time from accepting a batch (or resuming it after a restart) to its outcome.',
    buckets: BATCH_BUCKETS,
    registers,
  });
  const legs = new Counter({
    name: 'ordergate_batch_legs_total',
    help: 'Legs of finished batches, by where each ended.',
    labelNames: ['result'],
    registers,
  });
  const replays = new Counter({
    name: 'ordergate_idempotent_replays_total',
    help: 'Batch requests answered with the stored result of an earlier request with the same Idempotency-Key.',
    registers,
  });
  for (const outcome of OUTCOMES) batches.inc({ outcome }, 0);
  for (const result of LEG_RESULTS) legs.inc({ result }, 0);

  return {
    finished(result, ms) {
      if (result.status === 'in_progress') return;
      batches.inc({ outcome: result.status });
      duration.observe(Math.max(0, ms) / 1000);
      for (const leg of result.legs) legs.inc({ result: leg.status });
    },
    replayed: () => replays.inc(),
  };
}
