/**
 * The client side of a run: a pool of forked client workers (client-worker.ts), each holding a
 * share of the WebSocket clients, driven over IPC. Client i goes to worker i mod N, so every
 * worker carries a like share of every account.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerHealth, WorkerReply, WorkerRequest, WorkerStats } from './ipc.js';
import { forkRaised } from './proc.js';
import { createHistogram, type Histogram, merge } from './stats.js';
import { within } from './time.js';

const workerPath = fileURLToPath(new URL('./client-worker.ts', import.meta.url));

type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface PoolStats extends WorkerHealth {
  received: number;
  open: number;
  histogram: Histogram;
}

export interface ClientPool {
  pids(): number[];
  /** Opens one client per entry of `accounts` (the account it subscribes to) on `base`. */
  connect(base: string, accounts: string[], timeoutMs: number): Promise<{ open: number; failed: number }>;
  /** Streams counts every `intervalMs` (0 stops); `onCounts` sees the new total each time. */
  report(intervalMs: number, onCounts?: (total: number) => void): Promise<void>;
  record(on: boolean): Promise<void>;
  stats(): Promise<PoolStats>;
  /** Closes every client (a normal 1000 close) and ends the workers. */
  stop(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  waiting: Map<number, (r: WorkerReply) => void>;
  counts: number;
}

export function startPool(size: number): ClientPool {
  let nextId = 1;
  let onCounts: ((total: number) => void) | undefined;
  const workers: Worker[] = Array.from({ length: size }, () => {
    const w: Worker = { child: forkRaised(workerPath), waiting: new Map(), counts: 0 };
    w.child.on('message', (raw) => {
      const m = raw as WorkerReply;
      if (!('id' in m)) {
        w.counts = m.received;
        onCounts?.(workers.reduce((sum, x) => sum + x.counts, 0));
        return;
      }
      w.waiting.get(m.id)?.(m);
      w.waiting.delete(m.id);
    });
    return w;
  });

  const ask = (w: Worker, body: Body<WorkerRequest>, ms = 30_000): Promise<WorkerReply> => {
    const id = nextId++;
    const answer = new Promise<WorkerReply>((resolve) => w.waiting.set(id, resolve));
    w.child.send({ ...body, id } as WorkerRequest);
    return within(answer, ms, `client worker ${w.child.pid} ${body.cmd}`);
  };
  const all = (body: Body<WorkerRequest>, ms?: number) => Promise.all(workers.map((w) => ask(w, body, ms)));

  return {
    pids: () => workers.map((w) => w.child.pid ?? 0),
    async connect(base, accounts, timeoutMs) {
      const shares = workers.map((_, i) => accounts.filter((_, j) => j % workers.length === i));
      const replies = await Promise.all(
        workers.map((w, i) =>
          ask(
            w,
            { cmd: 'connect', base, accounts: shares[i] ?? [], concurrency: 64, timeoutMs },
            timeoutMs * 4 + 60_000,
          ),
        ),
      );
      let open = 0;
      let failed = 0;
      for (const r of replies) {
        if (r.type !== 'connected') continue;
        open += r.open;
        failed += r.failed;
      }
      return { open, failed };
    },
    async report(intervalMs, fn) {
      onCounts = fn;
      await all({ cmd: 'report', intervalMs });
    },
    async record(on) {
      await all({ cmd: 'record', on });
    },
    async stats() {
      const total: PoolStats = {
        received: 0,
        open: 0,
        failed: 0,
        closes4008: 0,
        errors: 0,
        gaps: 0,
        histogram: createHistogram(),
      };
      for (const r of await all({ cmd: 'stats' })) {
        if (r.type !== 'stats') continue;
        const s: WorkerStats = r.stats;
        for (const k of ['received', 'open', 'failed', 'closes4008', 'errors', 'gaps'] as const)
          total[k] += s[k];
        merge(total.histogram, s.histogram);
      }
      return total;
    },
    async stop() {
      await all({ cmd: 'close' }, 15_000).catch(() => undefined);
      for (const w of workers) {
        if (w.child.connected) w.child.disconnect();
      }
      await Promise.all(
        workers.map((w) =>
          w.child.exitCode === null
            ? within(new Promise((resolve) => w.child.once('exit', resolve)), 5_000, 'worker exit').catch(
                () => w.child.kill('SIGKILL'),
              )
            : undefined,
        ),
      );
    },
  };
}
