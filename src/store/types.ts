/**
 * Durable state behind a small interface (DESIGN.md "State and scale"): SQLite today, a shared
 * store later. The batch journal and the idempotency keys live here.
 */
import type { BatchRequest, BatchResult, LegResult } from '../batch/schema.js';

export interface BatchRow {
  batch_id: string;
  account_id: string;
  subject: string;
  mode: 'native' | 'gateway';
  request: BatchRequest;
  state: 'in_flight' | 'done';
  result: BatchResult | null;
  created_at: string;
}

/** A leg's journaled progress: what was about to be done, and what is known. */
export interface LegRow extends LegResult {
  /** The last step written before it was taken: intent, placing, placed, cancelling, … */
  step: string;
}

export interface IdempotencyScope {
  account_id: string;
  subject: string;
  key: string;
}

export type IdempotencyBegin =
  | { state: 'new' }
  | { state: 'mismatch' }
  | { state: 'in_progress'; batch_id: string }
  | { state: 'done'; status: number; body: unknown };

export interface Store {
  /** Records a batch and its legs' intents in one transaction. */
  createBatch(batch: BatchRow, legs: LegRow[]): void;
  /** Updates a leg and appends the step to the journal, in one transaction. */
  updateLeg(batchId: string, index: number, patch: Partial<LegRow> & { step: string }): void;
  completeBatch(batchId: string, result: BatchResult): void;
  getBatch(accountId: string, batchId: string): { batch: BatchRow; legs: LegRow[] } | null;
  inFlight(): { batch: BatchRow; legs: LegRow[] }[];
  /** Claims an idempotency key for a request body hash, or reports what holds it. */
  beginIdempotent(scope: IdempotencyScope, bodyHash: string, batchId: string, now: number): IdempotencyBegin;
  finishIdempotent(scope: IdempotencyScope, status: number, body: unknown): void;
  /** Frees a key whose request ended without a result worth replaying (e.g. 503). */
  releaseIdempotent(scope: IdempotencyScope): void;
  /** The key held by a batch, if any (recovery finishes it). */
  idempotencyOf(batchId: string): IdempotencyScope | null;
  /** Forgets keys created before `cutoff` (ms); returns how many. */
  expireIdempotent(cutoff: number): number;
  ping(): boolean;
  close(): void;
}
