/** The human-readable form of a report: one Markdown table, the same one BENCHMARKS.md shows. */
import type { Report } from './report.js';

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => x.toFixed(3);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mark = (met: boolean) => (met ? 'met' : 'NOT met');

function healthNote(h: { failed_connects: number; closes_4008: number; errors: number; seq_gaps: number }) {
  return `fail ${h.failed_connects}, 4008 ${h.closes_4008}, err ${h.errors}, gaps ${h.seq_gaps}`;
}

const cores = (c: { relay: number; clients: number; machine: number; other: number }) =>
  `${c.relay}/${c.clients}/${c.machine}/${c.other}`;

export function markdownTable(r: Report): string {
  const t = r.targets;
  const rows: string[][] = [];
  for (const key of ['throughput_1000x100', 'throughput_100x1'] as const) {
    const x = r[key];
    rows.push([
      `delivered msg/s, ${n(x.clients)} clients / ${x.accounts} account(s)`,
      n(x.ordergate),
      n(x.baseline),
      `${x.ratio}×`,
      key === 'throughput_1000x100' ? `≥ 3× baseline: ${mark(t.throughput_1000x100_ratio_min_3.met)}` : '',
      `cpu cores relay/clients/machine/not-bench: og ${cores(x.cpu_cores.ordergate)}, base ${cores(x.cpu_cores.baseline)}; ` +
        `og ${healthNote(x.health.ordergate)}`,
    ]);
  }
  const latencyKeys = [
    'latency_5000',
    'latency_20000',
    'latency_50000',
    'latency_1000x100_5000',
    'latency_1000x100_20000',
    'latency_1000x100_50000',
  ] as const;
  for (const key of latencyKeys) {
    const x = r[key];
    const goal =
      key === 'latency_20000'
        ? `p99 ≤ 2 ms: ${mark(t.latency_20000_p99_max_2ms.met)}`
        : key === 'latency_50000'
          ? `p99 ≤ 10 ms: ${mark(t.latency_50000_p99_max_10ms.met)}`
          : '';
    const cell = (p: typeof x.ordergate) => `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.p999)}`;
    rows.push([
      `latency ms p50/p99/p99.9 at ${n(x.target_delivered_per_s)}/s: ${n(x.clients)} clients / ${x.accounts} account(s), ${n(x.upstream_frames_per_s)} frames/s`,
      cell(x.ordergate),
      cell(x.baseline),
      `p99 ${x.ratio_p99}×`,
      goal,
      `floor (no relay) ${cell(x.floor)}; achieved ${n(x.ordergate.delivered_per_s)} / ${n(x.baseline.delivered_per_s)} msg/s; ` +
        `cpu cores relay/machine/not-bench: og ${x.ordergate.cpu_relay_cores}/${x.ordergate.cpu_machine_cores}/` +
        `${x.ordergate.cpu_other_cores}, base ${x.baseline.cpu_relay_cores}/${x.baseline.cpu_machine_cores}/` +
        `${x.baseline.cpu_other_cores}`,
    ]);
  }
  for (const key of ['rss_per_idle_conn_1000', 'rss_per_idle_conn_10000'] as const) {
    const x = r[key];
    rows.push([
      `RSS per idle connection at ${n(x.connections)}`,
      kb(x.ordergate),
      kb(x.baseline),
      `${x.ratio}×`,
      key === 'rss_per_idle_conn_10000'
        ? `≤ 16 KB: ${mark(t.idle_conn_10000_max_16kb.met)}; no errors: ${mark(t.clients_10000_no_errors.met)}`
        : '',
      `open ${n(x.open.ordergate)} / ${n(x.open.baseline)}; og RSS ${(x.rss0_bytes.ordergate / 2 ** 20).toFixed(0)}→${(x.rss_bytes.ordergate / 2 ** 20).toFixed(0)} MiB; ${healthNote(x.health.ordergate)}`,
    ]);
  }
  const b = r.batch_4leg;
  rows.push([
    `4-leg batch, sim ${b.sim_latency_ms} ms per call (median of ${b.reps})`,
    `${b.gateway_ms} ms (gateway)`,
    `${b.sequential_ms} ms (sequential)`,
    `${b.ratio_to_single}× single leg (${b.single_leg_ms} ms)`,
    `≤ 1.5× single: ${mark(t.batch_4leg_max_1_5x_single.met)}`,
    `${b.gateway_successes}/${b.reps} batches success`,
  ]);
  const head = ['figure', 'ordergate', 'baseline', 'ratio', 'target', 'notes'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
