/**
 * Turns scenario results into the one JSON object of `--json` and a Markdown table. A scenario
 * that failed still appears, with zeros, so the shape never changes; meta.failed names it.
 */
import type { Profile } from './profiles.js';
import type { RelayKind } from './relay.js';
import type { BatchRun } from './scenarios/batch.js';
import { type Health, noHealth } from './scenarios/common.js';
import type { IdleRssStep } from './scenarios/idle-rss.js';
import type { LatencyPoint } from './scenarios/latency.js';
import type { ThroughputRun } from './scenarios/throughput.js';
import { ratio } from './stats.js';

type PerRelay<T> = Partial<Record<RelayKind, T>>;
type LatencyRun = { points: LatencyPoint[]; health: Health };

export interface Results {
  throughput: { '1000x100': PerRelay<ThroughputRun>; '100x1': PerRelay<ThroughputRun> };
  latency: PerRelay<LatencyRun>;
  latencySpread: PerRelay<LatencyRun>;
  rss: PerRelay<{ rss0_bytes: number; steps: IdleRssStep[]; health: Health }>;
  batch?: BatchRun;
}

export const emptyResults = (): Results => ({
  throughput: { '1000x100': {}, '100x1': {} },
  latency: {},
  latencySpread: {},
  rss: {},
});

const both = <T>(f: (k: RelayKind) => T) => ({ ordergate: f('ordergate'), baseline: f('baseline') });
const noCpu = { relay: 0, clients: 0, harness: 0, machine: 0, steal: 0, softirq: 0, other: 0 };

function throughputFigure(r: PerRelay<ThroughputRun>, p: Profile['throughput']['1000x100']) {
  const d = both((k) => r[k]?.delivered_per_s ?? 0);
  return {
    ...d,
    ratio: ratio(d.ordergate, d.baseline),
    clients: p.clients,
    accounts: p.accounts,
    window_s: p.windowMs / 1000,
    upstream_frames_per_s: both((k) => r[k]?.upstream_frames_per_s ?? 0),
    cpu_cores: both((k) => r[k]?.cpu ?? noCpu),
    health: both((k) => r[k]?.health ?? noHealth()),
  };
}

function latencyFigure(runs: PerRelay<LatencyRun>, p: Profile['latency'], i: number) {
  const point = (k: RelayKind) => {
    const x = runs[k]?.points[i];
    return {
      p50: x?.p50 ?? 0,
      p99: x?.p99 ?? 0,
      p999: x?.p999 ?? 0,
      max: x?.max ?? 0,
      samples: x?.samples ?? 0,
      delivered_per_s: x?.delivered_per_s ?? 0,
      cpu_relay_cores: x?.cpu.relay ?? 0,
      cpu_clients_cores: x?.cpu.clients ?? 0,
      cpu_machine_cores: x?.cpu.machine ?? 0,
      cpu_other_cores: x?.cpu.other ?? 0,
    };
  };
  const target = p.targets[i] ?? 0;
  const o = point('ordergate');
  const b = point('baseline');
  const f = point('floor');
  return {
    target_delivered_per_s: target,
    upstream_frames_per_s: target / (p.clients / p.accounts),
    clients: p.clients,
    accounts: p.accounts,
    window_s: p.windowMs / 1000,
    ordergate: o,
    baseline: b,
    /** No relay: clients straight on the synthetic upstream, one WebSocket hop (upstream.ts). */
    floor: f,
    ratio_p99: ratio(o.p99, b.p99),
    health: { ...both((k) => runs[k]?.health ?? noHealth()), floor: runs.floor?.health ?? noHealth() },
  };
}

function rssFigure(results: Results, profile: Profile, i: number) {
  const step = (k: RelayKind) => results.rss[k]?.steps[i];
  const per = both((k) => step(k)?.per_connection_bytes ?? 0);
  return {
    ...per,
    ratio: ratio(per.ordergate, per.baseline),
    marginal_bytes: both((k) => step(k)?.marginal_bytes ?? 0),
    connections: profile.rss.steps[i] ?? 0,
    open: both((k) => step(k)?.open ?? 0),
    rss_bytes: both((k) => step(k)?.rss_bytes ?? 0),
    rss0_bytes: both((k) => results.rss[k]?.rss0_bytes ?? 0),
    health: both((k) => results.rss[k]?.health ?? noHealth()),
  };
}

export function buildReport(results: Results, profile: Profile, meta: Record<string, string | number>) {
  const b = results.batch;
  const report = {
    meta,
    throughput_1000x100: throughputFigure(results.throughput['1000x100'], profile.throughput['1000x100']),
    throughput_100x1: throughputFigure(results.throughput['100x1'], profile.throughput['100x1']),
    latency_5000: latencyFigure(results.latency, profile.latency, 0),
    latency_20000: latencyFigure(results.latency, profile.latency, 1),
    latency_50000: latencyFigure(results.latency, profile.latency, 2),
    latency_1000x100_5000: latencyFigure(results.latencySpread, profile.latencySpread, 0),
    latency_1000x100_20000: latencyFigure(results.latencySpread, profile.latencySpread, 1),
    latency_1000x100_50000: latencyFigure(results.latencySpread, profile.latencySpread, 2),
    rss_per_idle_conn_1000: rssFigure(results, profile, 0),
    rss_per_idle_conn_10000: rssFigure(results, profile, 1),
    batch_4leg: {
      gateway_ms: b?.gateway_ms ?? 0,
      sequential_ms: b?.sequential_ms ?? 0,
      single_leg_ms: b?.single_leg_ms ?? 0,
      ratio_to_single: ratio(b?.gateway_ms ?? 0, b?.single_leg_ms ?? 0),
      ratio_to_sequential: ratio(b?.gateway_ms ?? 0, b?.sequential_ms ?? 0),
      reps: profile.batch.reps,
      gateway_successes: b?.gateway_successes ?? 0,
      sim_latency_ms: profile.batch.latencyMs,
    },
  };
  const big = report.rss_per_idle_conn_10000;
  const h = big.health.ordergate;
  const troubles = h.failed_connects + h.errors + h.closes_4008 + (big.connections - big.open.ordergate);
  const target = (value: number, goal: number, met: boolean) => ({ value, target: goal, met });
  return {
    ...report,
    targets: {
      throughput_1000x100_ratio_min_3: target(
        report.throughput_1000x100.ratio,
        3,
        report.throughput_1000x100.ratio >= 3,
      ),
      // A latency point that did not run (skipped or failed) has no samples and is not met.
      latency_20000_p99_max_2ms: target(
        report.latency_20000.ordergate.p99,
        2,
        report.latency_20000.ordergate.samples > 0 && report.latency_20000.ordergate.p99 <= 2,
      ),
      latency_50000_p99_max_10ms: target(
        report.latency_50000.ordergate.p99,
        10,
        report.latency_50000.ordergate.samples > 0 && report.latency_50000.ordergate.p99 <= 10,
      ),
      idle_conn_10000_max_16kb: target(big.ordergate, 16_384, big.ordergate > 0 && big.ordergate <= 16_384),
      clients_10000_no_errors: target(troubles, 0, troubles === 0 && big.open.ordergate > 0),
      batch_4leg_max_1_5x_single: target(
        report.batch_4leg.ratio_to_single,
        1.5,
        report.batch_4leg.ratio_to_single > 0 && report.batch_4leg.ratio_to_single <= 1.5,
      ),
    },
  };
}

export type Report = ReturnType<typeof buildReport>;
