/**
 * Scenario 4, a 4-leg batch against a broker that takes `latencyMs` per REST call (the bundled
 * sim, in this process, with a rest_latency fault). Three timings, repeated and the medians
 * kept: the gateway path (POST /accounts/{id}/batch-orders on a `gateway` batch_mode account,
 * legs placed concurrently), the same four legs sent one after another straight to the sim
 * (POST /advanced/orders/{id}), and one leg sent straight to the sim.
 */
import { startSim } from '../../src/sim/index.js';
import { startGateway } from '../gateway-process.js';
import { median } from '../stats.js';
import { nowMs } from '../time.js';
import type { Upstream } from '../upstream.js';

export interface BatchParams {
  reps: number;
  latencyMs: number;
}

export interface BatchRun {
  gateway_ms: number;
  sequential_ms: number;
  single_leg_ms: number;
  /** Gateway batches that answered 200 with status "success". */
  gateway_successes: number;
}

const ACCOUNT = 'batch';
/** A short iron-condor-like set of resting LIMIT legs (far from the market, so they stay open). */
const LEGS = [
  { tradingsymbol: 'NIFTY24DEC24000CE', transaction_type: 'SELL', quantity: 75, price: 900 },
  { tradingsymbol: 'NIFTY24DEC24500CE', transaction_type: 'BUY', quantity: 75, price: 1 },
  { tradingsymbol: 'NIFTY24DEC24000PE', transaction_type: 'SELL', quantity: 75, price: 900 },
  { tradingsymbol: 'BANKNIFTY24DEC52000CE', transaction_type: 'BUY', quantity: 30, price: 1 },
].map((l) => ({ ...l, exchange: 'NFO', order_type: 'LIMIT', product: 'NRML' }));

const json = { 'content-type': 'application/json', authorization: 'Bearer bench' };

async function timed(fn: () => Promise<boolean>): Promise<{ ms: number; ok: boolean }> {
  const t0 = nowMs();
  const ok = await fn();
  return { ms: nowMs() - t0, ok };
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: json, body: JSON.stringify(body) });
}

export async function batch(upstream: Upstream, p: BatchParams, log: (l: string) => void): Promise<BatchRun> {
  const sim = await startSim({ accounts: [ACCOUNT], rate: 0, seed: 1, host: '127.0.0.1', port: 0 });
  try {
    const gateway = await startGateway({
      upstream,
      accounts: [],
      extraAccounts: [
        {
          id: ACCOUNT,
          ws_url: sim.streamUrl,
          rest_url: sim.httpUrl,
          credentials: { token: 'bench' },
          batch_mode: 'gateway',
          // The default (10/s) would make later repetitions wait for tokens; one batch never does.
          order_rate_per_s: 100,
        },
      ],
    });
    try {
      // After /ready, so the link's own snapshot fetch did not use one of the slow calls.
      sim.injectFault({ account_id: ACCOUNT, kind: 'rest_latency', latency_ms: p.latencyMs, count: 100_000 });
      const direct = `${sim.httpUrl}/advanced/orders/${ACCOUNT}`;
      const runs = { gateway: [] as number[], sequential: [] as number[], single: [] as number[] };
      let successes = 0;
      for (let i = 0; i < p.reps; i++) {
        const single = await timed(async () => (await post(direct, LEGS[0])).ok);
        const sequential = await timed(async () => {
          let ok = true;
          for (const leg of LEGS) ok = (await post(direct, leg)).ok && ok;
          return ok;
        });
        const viaGateway = await timed(async () => {
          const res = await post(`${gateway.httpBase}/accounts/${ACCOUNT}/batch-orders`, {
            orders: LEGS,
            rollback_on_failure: true,
          });
          const body = (await res.json()) as { status?: string };
          return res.status === 200 && body.status === 'success';
        });
        if (!single.ok || !sequential.ok) throw new Error('the sim refused a direct leg');
        if (viaGateway.ok) successes++;
        runs.single.push(single.ms);
        runs.sequential.push(sequential.ms);
        runs.gateway.push(viaGateway.ms);
        log(
          `  rep ${i + 1}: gateway ${viaGateway.ms.toFixed(1)} ms (${viaGateway.ok ? 'success' : 'FAILED'}), ` +
            `sequential ${sequential.ms.toFixed(1)} ms, single leg ${single.ms.toFixed(1)} ms`,
        );
      }
      const r = (x: number) => Math.round(x * 10) / 10;
      return {
        gateway_ms: r(median(runs.gateway)),
        sequential_ms: r(median(runs.sequential)),
        single_leg_ms: r(median(runs.single)),
        gateway_successes: successes,
      };
    } finally {
      await gateway.stop();
    }
  } finally {
    await sim.close();
  }
}
