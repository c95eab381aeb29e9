/**
 * Command-line options and the three run profiles. `full` is what BENCHMARKS.md reports;
 * `quick` shortens every window and repeats the batch fewer times (same client counts, so the
 * figures stay comparable, only noisier); `smoke` runs every scenario in miniature (tens of
 * clients, two accounts, sub-second windows) so the test can check that every field is there.
 */
import type { BatchParams } from './scenarios/batch.js';
import type { IdleRssParams } from './scenarios/idle-rss.js';
import type { LatencyParams } from './scenarios/latency.js';
import type { ThroughputParams } from './scenarios/throughput.js';

export type Mode = 'full' | 'quick' | 'smoke';

export interface Profile {
  mode: Mode;
  /** How long to sample the machine's load before starting (meta.machine_busy_cores_before). */
  quietCheckMs: number;
  workers: number;
  /** Hard limit on the whole run; past it every child is killed and the run fails. */
  deadlineMs: number;
  connectTimeoutMs: number;
  /** Keys throughput_1000x100 and throughput_100x1, whatever the sizes of a miniature run. */
  throughput: { '1000x100': ThroughputParams; '100x1': ThroughputParams };
  /**
   * targets[i] is reported under latency_5000, latency_20000, latency_50000 in that order: 100
   * clients on 1 account (each frame fans out to 100), the harder case and the one the targets
   * are read against. `latencySpread` repeats it over 1,000 clients on 100 accounts (fan-out 10)
   * under latency_1000x100_5000 etc.
   */
  latency: LatencyParams;
  latencySpread: LatencyParams;
  /** steps[i] is reported under rss_per_idle_conn_1000 and rss_per_idle_conn_10000. */
  rss: IdleRssParams;
  batch: BatchParams;
}

/** The scenario groups --only can pick, in the order a run takes them. */
export const SCENARIOS = [
  'rss',
  'throughput_1000x100',
  'throughput_100x1',
  'latency',
  'latency_1000x100',
  'batch',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface Options {
  json: boolean;
  profile: Profile;
  /** The scenarios to run (all by default). */
  only: ReadonlySet<Scenario>;
  /** Where the gateway writes a V8 CPU profile per process (node --cpu-prof), if anywhere. */
  cpuProfDir: string | undefined;
}

const full: Profile = {
  mode: 'full',
  quietCheckMs: 1000,
  workers: 4,
  deadlineMs: 12 * 60_000,
  connectTimeoutMs: 20_000,
  throughput: {
    // 20 frames in flight per account: past the point where more stopped helping on this machine.
    '1000x100': { clients: 1000, accounts: 100, inflight: 2000, warmupMs: 3000, windowMs: 20_000 },
    '100x1': { clients: 100, accounts: 1, inflight: 200, warmupMs: 3000, windowMs: 20_000 },
  },
  latency: { clients: 100, accounts: 1, targets: [5000, 20_000, 50_000], warmupMs: 2000, windowMs: 15_000 },
  latencySpread: {
    clients: 1000,
    accounts: 100,
    targets: [5000, 20_000, 50_000],
    warmupMs: 2000,
    windowMs: 15_000,
  },
  rss: { steps: [1000, 10_000], accounts: 100, settleMs: 2000 },
  batch: { reps: 7, latencyMs: 200 },
};

const quick: Profile = {
  ...full,
  mode: 'quick',
  // It takes about 3 minutes here (187 s with the floor); the hard stop leaves room for a slower machine.
  deadlineMs: 5 * 60_000,
  throughput: {
    '1000x100': { ...full.throughput['1000x100'], warmupMs: 1500, windowMs: 5000 },
    '100x1': { ...full.throughput['100x1'], warmupMs: 1500, windowMs: 5000 },
  },
  latency: { ...full.latency, warmupMs: 1000, windowMs: 5000 },
  latencySpread: { ...full.latencySpread, warmupMs: 1000, windowMs: 5000 },
  rss: { ...full.rss, settleMs: 1000 },
  batch: { reps: 3, latencyMs: 200 },
};

const smoke: Profile = {
  mode: 'smoke',
  quietCheckMs: 200,
  workers: 2,
  deadlineMs: 60_000,
  connectTimeoutMs: 5000,
  throughput: {
    '1000x100': { clients: 20, accounts: 2, inflight: 20, warmupMs: 100, windowMs: 300 },
    '100x1': { clients: 10, accounts: 1, inflight: 10, warmupMs: 100, windowMs: 300 },
  },
  latency: { clients: 10, accounts: 1, targets: [100, 200, 400], warmupMs: 100, windowMs: 200 },
  latencySpread: { clients: 20, accounts: 2, targets: [100, 200, 400], warmupMs: 100, windowMs: 200 },
  rss: { steps: [10, 40], accounts: 2, settleMs: 100 },
  batch: { reps: 1, latencyMs: 200 },
};

const USAGE = `usage: npm run bench -- [--quick | --smoke] [--json] [--workers N] [--only LIST] [--cpu-prof DIR]
  --json      print one JSON object on stdout (progress goes to stderr)
  --quick     shorter windows, fewer batch repetitions: the whole run in under 4 minutes
  --smoke     every scenario in miniature (tens of clients), for tests/bench-smoke.test.ts
  --workers   client worker processes (default 4; smoke 2)
  --only      comma-separated scenarios to run, of: ${SCENARIOS.join(', ')}
              (the others report 0 and are named in meta.skipped)
  --cpu-prof  write a V8 CPU profile of every gateway process into DIR (node --cpu-prof)`;

export function parseOptions(argv: string[]): Options {
  let profile = full;
  let json = false;
  let workers: number | undefined;
  let only: ReadonlySet<Scenario> = new Set(SCENARIOS);
  let cpuProfDir: string | undefined;
  const value = (i: number, name: string) => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--quick') profile = quick;
    else if (a === '--smoke') profile = smoke;
    else if (a === '--workers') workers = Number(value(++i, a));
    else if (a === '--only') only = parseOnly(value(++i, a));
    else if (a === '--cpu-prof') cpuProfDir = value(++i, a);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 16)) {
    throw new Error(`--workers must be an integer from 1 to 16\n${USAGE}`);
  }
  return { json, only, cpuProfDir, profile: { ...profile, workers: workers ?? profile.workers } };
}

function parseOnly(list: string): Set<Scenario> {
  const picked = new Set<Scenario>();
  for (const name of list.split(',')) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown scenario ${JSON.stringify(name)}\n${USAGE}`);
    }
    picked.add(name as Scenario);
  }
  return picked;
}
