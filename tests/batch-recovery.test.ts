/**
 * Crash recovery: the gateway runs as a real child process, is killed with SIGKILL while a batch
 * is in flight, and is started again on the same data dir. The batch must end rolled_back or
 * success with the simulator's book agreeing, and no leg left open by accident.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchResult } from '../src/batch/schema.js';
import { type Sim, startSim } from '../src/sim/index.js';
import { type Child, run } from './helpers/child.js';
import { waitFor } from './helpers/wait.js';

let sim: Sim | undefined;
const children: Child[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  await sim?.close();
});

const legs = ['NIFTY24DEC23800PE', 'NIFTY24DEC23900PE', 'NIFTY24DEC24100CE', 'NIFTY24DEC24200CE'].map(
  (s) => ({
    tradingsymbol: s,
    exchange: 'NFO',
    transaction_type: 'SELL',
    quantity: 50,
    order_type: 'LIMIT',
    product: 'NRML',
    price: 120,
  }),
);

async function startGatewayProcess(configPath: string): Promise<{ child: Child; url: string }> {
  const child = run(['serve', '--config', configPath, '--insecure-no-auth']);
  children.push(child);
  const [, port] = await child.waitForOutput(/"port":(\d+)[^\n]*gateway listening/);
  return { child, url: `http://127.0.0.1:${port}` };
}

function post(url: string, key: string) {
  return fetch(`${url}/accounts/primary/batch-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ orders: legs }),
  });
}

describe.each([
  ['gateway', false, 'success'],
  ['gateway', true, 'rolled_back'],
  ['native', true, 'rolled_back'],
] as const)('a %s-mode batch killed mid-flight (a leg rejected: %s)', (mode, rejectLast, outcome) => {
  it(`is finished on restart as ${outcome}, the broker agreeing`, async () => {
    sim = await startSim({ accounts: ['primary'], rate: 0, seed: 5 });
    const dir = mkdtempSync(join(tmpdir(), 'ordergate-crash-'));
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        port: 0,
        log_level: 'debug',
        data_dir: join(dir, 'data'),
        batch: { leg_timeout_ms: 30_000, final_state_timeout_ms: 5_000 },
        accounts: [{ id: 'primary', ws_url: sim.wsUrl, rest_url: sim.httpUrl, batch_mode: mode }],
      }),
    );
    const first = await startGatewayProcess(config);
    // Every answer from the broker is held back: the batch stays in flight at the gateway.
    sim.injectFault({ account_id: 'primary', kind: 'rest_latency', latency_ms: 60_000, count: 100 });
    if (rejectLast) sim.injectFault({ account_id: 'primary', kind: 'reject_next', count: 1, skip: 3 });
    const pending = post(first.url, 'crash-1').catch((err: Error) => err);
    await waitFor(() => sim?.book('primary').length === 4, 'every leg reached the broker', 10_000);
    first.child.proc.kill('SIGKILL');
    await first.child.exited;
    expect(await pending).toBeInstanceOf(Error);
    await fetch(`${sim.httpUrl}/sim/faults`, { method: 'DELETE' });

    const second = await startGatewayProcess(config);
    await second.child.waitForOutput(/finishing a batch left in flight/);
    await second.child.waitForOutput(/"outcome":"(success|rolled_back|partial|failed)"[^\n]*batch finished/);
    const replay = await post(second.url, 'crash-1');
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const result = (await replay.json()) as BatchResult;
    // LIMIT legs may start filling while the gateway is down: that is exposure, reported as partial.
    expect(outcome === 'success' ? ['success'] : ['rolled_back', 'partial']).toContain(result.status);

    // The broker agrees with every leg, and no leg is left open unless the batch says so.
    const book = sim.book('primary');
    expect(book).toHaveLength(4);
    for (const l of result.legs) {
      const order = book.find((o) => o.tag === l.client_order_id);
      expect(order?.order_id).toBe(l.order_id ?? order?.order_id);
      const expected = {
        placed: ['OPEN', 'COMPLETE'],
        cancelled: ['CANCELLED'],
        rejected: ['REJECTED'],
        filled: ['COMPLETE'],
      }[l.status as 'placed'];
      expect(expected).toContain(order?.status);
    }
    if (result.status === 'rolled_back') expect(book.filter((o) => o.status === 'OPEN')).toEqual([]);
    const stored = (await (
      await fetch(`${second.url}/accounts/primary/batch-orders/${result.batch_id}`)
    ).json()) as BatchResult;
    expect(stored).toEqual(result);
    second.child.proc.kill('SIGTERM');
    expect(await second.child.exited).toBe(0);
  });
});
