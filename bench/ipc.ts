/**
 * Messages between the harness (clients.ts) and a client worker (client-worker.ts) over the
 * fork IPC channel. Every request carries an id that its reply echoes; `counts` is unsolicited,
 * sent every `report` interval while the harness drives a closed-loop run.
 */
import type { Histogram } from './stats.js';

export type WorkerRequest =
  | { id: number; cmd: 'connect'; base: string; accounts: string[]; concurrency: number; timeoutMs: number }
  | { id: number; cmd: 'report'; intervalMs: number }
  | { id: number; cmd: 'record'; on: boolean }
  | { id: number; cmd: 'stats' }
  | { id: number; cmd: 'close' };

/** What a worker knows about its clients' health since they connected. */
export interface WorkerHealth {
  /** Clients whose connection failed or did not get a snapshot in time. */
  failed: number;
  /** Clients the server closed with 4008 (slow consumer). */
  closes4008: number;
  /** Other closes and socket errors the harness did not ask for. */
  errors: number;
  /** Order updates whose seq was not the previous one plus 1. */
  gaps: number;
}

export interface WorkerStats extends WorkerHealth {
  received: number;
  open: number;
  histogram: Histogram;
}

export type WorkerReply =
  | { id: number; type: 'connected'; open: number; failed: number; ms: number }
  | { id: number; type: 'ok' }
  | { id: number; type: 'stats'; stats: WorkerStats }
  | { type: 'counts'; received: number };
