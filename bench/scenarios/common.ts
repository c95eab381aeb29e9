/**
 * What every scenario does around its measurement: start the relay, fork the client workers,
 * open the clients, then always stop both (clients first, so their closes are not counted as
 * errors). Also the account layout and a CPU meter over the processes involved.
 */
import { type ClientPool, startPool } from '../clients.js';
import { cpuSeconds, machineCpuSeconds } from '../proc.js';
import { type Relay, type RelayKind, type RelayOptions, startRelay } from '../relay.js';
import { nowMs } from '../time.js';
import type { Upstream } from '../upstream.js';

export interface Setup {
  upstream: Upstream;
  workers: number;
  /** Per-client deadline to connect and get its snapshot. */
  connectTimeoutMs: number;
  /** Set by --cpu-prof: each gateway writes a CPU profile here. */
  cpuProfDir?: string;
  log(line: string): void;
}

export interface Health {
  failed_connects: number;
  closes_4008: number;
  errors: number;
  seq_gaps: number;
}

export const noHealth = (): Health => ({ failed_connects: 0, closes_4008: 0, errors: 0, seq_gaps: 0 });

/** a000, a001, …: the synthetic upstream's accounts. */
export const accountNames = (n: number) =>
  Array.from({ length: n }, (_, i) => `a${String(i).padStart(3, '0')}`);

/** The account of each client: client i subscribes to account i mod accounts. */
export const clientLayout = (clients: number, accounts: string[]) =>
  Array.from({ length: clients }, (_, i) => accounts[i % accounts.length] as string);

export interface Stage {
  relay: Relay;
  pool: ClientPool;
  /** Opens more clients; throws if none could. */
  open(accounts: string[]): Promise<{ open: number; failed: number }>;
}

/** Runs `body` with a fresh relay of `kind` and a fresh client pool; returns its result and health. */
export async function staged<T>(
  setup: Setup,
  kind: RelayKind,
  relayOptions: Omit<RelayOptions, 'upstream'>,
  body: (stage: Stage) => Promise<T>,
): Promise<{ result: T; health: Health }> {
  const relay = await startRelay(kind, {
    ...relayOptions,
    upstream: setup.upstream,
    cpuProfDir: setup.cpuProfDir,
  });
  const pool = startPool(setup.workers);
  try {
    const stage: Stage = {
      relay,
      pool,
      async open(accounts) {
        const r = await pool.connect(relay.wsBase, accounts, setup.connectTimeoutMs);
        if (r.open === 0 && accounts.length > 0) throw new Error(`${kind}: no client could connect`);
        return r;
      },
    };
    const result = await body(stage);
    const s = await pool.stats();
    return {
      result,
      health: { failed_connects: s.failed, closes_4008: s.closes4008, errors: s.errors, seq_gaps: s.gaps },
    };
  } finally {
    await pool.stop();
    await relay.stop();
  }
}

export interface CpuUse {
  /** Cores used on average over the window (1.0 = one core busy all the time). */
  relay: number;
  clients: number;
  harness: number;
  /** The whole machine (every process, kernel included), out of availableParallelism() cores. */
  machine: number;
  /** Time the hypervisor ran something else while we wanted a core. */
  steal: number;
  /** Kernel softirq time (mostly loopback TCP), charged to no process. */
  softirq: number;
  /** machine − relay − clients − harness − softirq: load that is not the bench's (another job on the box). */
  other: number;
}

/** Starts a CPU meter over the relay, the client workers, this harness process and the machine. */
export function cpuMeter(relayPid: number, clientPids: number[]): () => CpuUse {
  const read = () => ({
    relay: cpuSeconds(relayPid),
    clients: clientPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    // The floor's "relay" is this harness process: count it once, as the relay.
    harness: relayPid === process.pid ? 0 : cpuSeconds(process.pid),
    machine: machineCpuSeconds(),
    at: nowMs(),
  });
  const start = read();
  return () => {
    const end = read();
    const s = (end.at - start.at) / 1000;
    const r = (x: number) => Math.round((x / s) * 100) / 100;
    const use = {
      relay: r(end.relay - start.relay),
      clients: r(end.clients - start.clients),
      harness: r(end.harness - start.harness),
      machine: r(end.machine.busy - start.machine.busy),
      steal: r(end.machine.steal - start.machine.steal),
      softirq: r(end.machine.softirq - start.machine.softirq),
    };
    const other = Math.round((use.machine - use.relay - use.clients - use.harness - use.softirq) * 100) / 100;
    return { ...use, other: Math.max(0, other) };
  };
}
