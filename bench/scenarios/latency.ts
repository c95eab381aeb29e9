/**
 * Scenario 2, latency from upstream send to client receive at fixed delivered rates. The
 * upstream runs open loop (frames due by the clock are sent, late ticks catch up), so a relay
 * that falls behind shows it as latency rather than slowing the sender. Each frame carries its
 * send time; each client records receive minus send, during the window only, into a histogram.
 */
import type { RelayKind } from '../relay.js';
import { type LatencySummary, summarize } from '../stats.js';
import { nowMs, sleep } from '../time.js';
import {
  accountNames,
  type CpuUse,
  clientLayout,
  cpuMeter,
  type Health,
  type Setup,
  staged,
} from './common.js';

export interface LatencyParams {
  clients: number;
  accounts: number;
  /** Delivered messages per second to aim at; the upstream sends rate / subscribers frames/s. */
  targets: number[];
  warmupMs: number;
  windowMs: number;
}

export interface LatencyPoint extends LatencySummary {
  target_per_s: number;
  upstream_frames_per_s: number;
  delivered_per_s: number;
  cpu: CpuUse;
}

/** One relay, every target rate in turn on the same clients. */
export async function latency(
  setup: Setup,
  kind: RelayKind,
  p: LatencyParams,
): Promise<{ points: LatencyPoint[]; health: Health }> {
  const accounts = accountNames(p.accounts);
  const subscribers = p.clients / p.accounts;
  const { result, health } = await staged(setup, kind, { accounts }, async ({ relay, pool, open }) => {
    await open(clientLayout(p.clients, accounts));
    const points: LatencyPoint[] = [];
    for (const target of p.targets) {
      const frames = target / subscribers;
      const stop = setup.upstream.paced(accounts, frames);
      try {
        await sleep(p.warmupMs);
        await pool.record(true);
        const s0 = await pool.stats();
        const t0 = nowMs();
        const cpu = cpuMeter(relay.pid, pool.pids());
        await sleep(p.windowMs);
        await pool.record(false);
        const s1 = await pool.stats();
        const seconds = (nowMs() - t0) / 1000;
        const point: LatencyPoint = {
          target_per_s: target,
          upstream_frames_per_s: frames,
          delivered_per_s: Math.round((s1.received - s0.received) / seconds),
          cpu: cpu(),
          ...summarize(s1.histogram),
        };
        points.push(point);
        setup.log(
          `  ${kind} @${target}/s: p50 ${point.p50} p99 ${point.p99} p99.9 ${point.p999} ms ` +
            `(${point.delivered_per_s}/s delivered, ${point.samples} samples; cpu cores: relay ${point.cpu.relay}, ` +
            `clients ${point.cpu.clients}, machine ${point.cpu.machine}, not the bench ${point.cpu.other})`,
        );
      } finally {
        stop();
      }
      await sleep(Math.min(300, p.warmupMs)); // let the previous rate drain
    }
    return points;
  });
  return { points: result, health };
}
