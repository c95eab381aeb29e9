/**
 * Scenario 3, server memory per idle connection: the relay's RSS (VmRSS of its process) with N
 * subscribed, silent clients minus its RSS with none, divided by N. Steps accumulate on one
 * relay (0, then 1,000, then 10,000 in all), each read after the connections settle and a full
 * GC forced through the relay's inspector (gc.ts), so start-up garbage is not mistaken for, or
 * hidden behind, per-connection memory. Both relays run with the inspector for this scenario only.
 */
import { rssBytes } from '../proc.js';
import type { Relay, RelayKind } from '../relay.js';
import { sleep } from '../time.js';
import { accountNames, clientLayout, type Health, type Setup, staged } from './common.js';

export interface IdleRssParams {
  /** Total connections at each step, increasing. */
  steps: number[];
  accounts: number;
  settleMs: number;
}

export interface IdleRssStep {
  connections: number;
  open: number;
  rss_bytes: number;
  /** (RSS − RSS with none) / open connections: the reported figure. */
  per_connection_bytes: number;
  /** (RSS − RSS at the previous step) / connections added: free of the start-up baseline. */
  marginal_bytes: number;
}

/**
 * RSS once it has stopped moving: a forced full GC, a pause, a reading, repeated until two
 * readings agree within 512 KB (at most 6 rounds). One GC is not enough: V8 and malloc hand
 * freed pages back over the next second or so, and one reading swung by 10 MB on this machine.
 */
async function settledRss(relay: Relay, pauseMs: number): Promise<number> {
  let last = Number.NaN;
  for (let round = 0; round < 6; round++) {
    await relay.gc();
    await sleep(pauseMs);
    const rss = rssBytes(relay.pid);
    if (Math.abs(rss - last) < 512 * 1024) return Math.min(rss, last);
    last = rss;
  }
  return last;
}

export async function idleRss(
  setup: Setup,
  kind: RelayKind,
  p: IdleRssParams,
): Promise<{ rss0_bytes: number; steps: IdleRssStep[]; health: Health }> {
  const accounts = accountNames(p.accounts);
  const { result, health } = await staged(
    setup,
    kind,
    { accounts, inspect: true },
    async ({ relay, open }) => {
      const pause = Math.max(100, p.settleMs / 2);
      await sleep(p.settleMs);
      const rss0 = await settledRss(relay, pause);
      const steps: IdleRssStep[] = [];
      let opened = 0;
      let have = 0;
      for (const n of p.steps) {
        const r = await open(clientLayout(n, accounts).slice(have));
        // The workers answer with every client they hold open, not only the new ones.
        opened = r.open;
        have = n;
        await sleep(p.settleMs);
        const rss = await settledRss(relay, pause);
        const per = opened > 0 ? Math.round((rss - rss0) / opened) : 0;
        const prev = steps.at(-1) ?? { open: 0, rss_bytes: rss0 };
        const marginal = opened > prev.open ? Math.round((rss - prev.rss_bytes) / (opened - prev.open)) : 0;
        steps.push({
          connections: n,
          open: opened,
          rss_bytes: rss,
          per_connection_bytes: per,
          marginal_bytes: marginal,
        });
        setup.log(
          `  ${kind}: ${opened}/${n} idle clients, RSS ${(rss / 2 ** 20).toFixed(1)} MiB, ${per} B each ` +
            `(${marginal} B each over the previous step)`,
        );
      }
      return { rss0, steps };
    },
  );
  return { rss0_bytes: result.rss0, steps: result.steps, health };
}
