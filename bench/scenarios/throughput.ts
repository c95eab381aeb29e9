/**
 * Scenario 1, maximum delivered messages per second. The upstream runs closed loop: it keeps a
 * fixed number of frames in flight ahead of what the clients have received (counted by the
 * workers and reported every 10 ms), so it sends exactly as fast as relay and clients take it,
 * with bounded queues everywhere. After a warm-up, delivered = order_update frames received by
 * all clients during the window, divided by the window.
 */
import type { RelayKind } from '../relay.js';
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

export interface ThroughputParams {
  clients: number;
  accounts: number;
  /** Upstream frames in flight (sent, not yet received by the average subscriber). */
  inflight: number;
  warmupMs: number;
  windowMs: number;
}

export interface ThroughputRun {
  delivered_per_s: number;
  upstream_frames_per_s: number;
  cpu: CpuUse;
  health: Health;
}

export async function throughput(setup: Setup, kind: RelayKind, p: ThroughputParams): Promise<ThroughputRun> {
  const accounts = accountNames(p.accounts);
  const subscribers = p.clients / p.accounts;
  const { result, health } = await staged(setup, kind, { accounts }, async ({ relay, pool, open }) => {
    await open(clientLayout(p.clients, accounts));
    const base = (await pool.stats()).received;
    let received = base;
    let drive: { pump(): void; stop(): void } | undefined;
    await pool.report(10, (total) => {
      received = total;
      drive?.pump();
    });
    const sentBefore = setup.upstream.sent();
    drive = setup.upstream.saturate(accounts, p.inflight, () => (received - base) / subscribers);
    try {
      await sleep(p.warmupMs);
      const s0 = await pool.stats();
      const sent0 = setup.upstream.sent();
      const t0 = nowMs();
      const cpu = cpuMeter(relay.pid, pool.pids());
      await sleep(p.windowMs);
      const s1 = await pool.stats();
      const seconds = (nowMs() - t0) / 1000;
      const use = cpu();
      return {
        delivered_per_s: Math.round((s1.received - s0.received) / seconds),
        upstream_frames_per_s: Math.round((setup.upstream.sent() - sent0) / seconds),
        cpu: use,
        sent: setup.upstream.sent() - sentBefore,
      };
    } finally {
      drive.stop();
      await pool.report(0);
    }
  });
  setup.log(
    `  ${kind}: ${result.delivered_per_s} msg/s delivered (${result.upstream_frames_per_s} frames/s upstream), ` +
      `cpu cores: relay ${result.cpu.relay}, clients ${result.cpu.clients}, harness ${result.cpu.harness}, ` +
      `machine ${result.cpu.machine} (not the bench: ${result.cpu.other}, steal ${result.cpu.steal})`,
  );
  return {
    delivered_per_s: result.delivered_per_s,
    upstream_frames_per_s: result.upstream_frames_per_s,
    cpu: result.cpu,
    health,
  };
}
