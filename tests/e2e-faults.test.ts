/**
 * The gateway against the simulated broker's faults: stall, malformed frames and auth_fail.
 * The gateway runs on a manual clock, so the watchdog fires when the test says.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Sim, startSim } from '../src/sim/index.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { connect, type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

const HB = 30_000;
let sim: Sim | undefined;
let gw: StartedGateway | undefined;
let clock: FakeClock;

afterEach(async () => {
  await gw?.stop();
  await sim?.close();
  gw = sim = undefined;
});

async function setup(rate: number) {
  sim = await startSim({ accounts: ['primary'], rate, seed: 3 });
  clock = createFakeClock(Date.now());
  gw = await startGateway(
    { accounts: [{ id: 'primary', ws_url: sim.wsUrl, rest_url: sim.httpUrl }] },
    { clock, random: () => 0 },
  );
  const link = gw.gateway.links.get('primary');
  if (!link) throw new Error('no link');
  return link;
}

describe('against simulator faults', () => {
  it('detects a stall with the watchdog and reconnects', async () => {
    const link = await setup(0);
    await waitFor(() => link.status().state === 'connected', 'connected');
    sim?.injectFault({ account_id: 'primary', kind: 'stall' });
    // random 0: the link's first ping goes 1 ms after the open, then one every HB.
    clock.advance(HB);
    await new Promise((r) => setTimeout(r, 50)); // the unanswered ping goes out
    expect(link.status().state).toBe('connected');
    clock.advance(HB + 1); // the beat at 2 HB + 1 finds two intervals of silence
    await waitFor(() => link.status().state === 'reconnecting', 'stall detected');
    expect(link.status().last_error).toMatch(/stalled/);
    await fetch(`${sim?.httpUrl}/sim/faults`, { method: 'DELETE' });
    clock.advance(1_000);
    await waitFor(() => link.status().state === 'connected', 'reconnected');
  });

  it('survives malformed frames: counts them and keeps relaying', async () => {
    const link = await setup(20);
    await waitFor(() => link.status().state === 'connected', 'connected');
    const client = await connect(`${gw?.wsUrl}/ws/orders/primary`);
    sim?.injectFault({ account_id: 'primary', kind: 'malformed', count: 5 });
    await waitFor(() => link.status().frames.invalid >= 5, 'malformed frames counted');
    const before = client.of('order_update').length;
    await waitFor(() => client.of('order_update').length > before + 5, 'updates keep flowing');
    expect(link.status().state).toBe('connected');
    const seqs = client.of('order_update').map((u) => u.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    client.ws.terminate();
  });

  it('ends in auth_failed when the broker refuses the credentials, and stops retrying', async () => {
    const link = await setup(0);
    await waitFor(() => link.status().state === 'connected', 'connected');
    const client = await connect(`${gw?.wsUrl}/ws/orders/primary`);
    sim?.injectFault({ account_id: 'primary', kind: 'auth_fail', count: 100 });
    sim?.injectFault({ account_id: 'primary', kind: 'drop' });
    await waitFor(() => link.status().state === 'reconnecting', 'dropped');
    clock.advance(2_000);
    await waitFor(() => link.status().state === 'auth_failed', 'auth_failed');
    expect(link.status().last_error).toBe('upgrade refused: HTTP 401');
    await waitFor(
      () => client.of('upstream_status').some((s) => s.state === 'auth_failed'),
      'pushed to clients',
    );
    const attempts = link.status().reconnects;
    clock.advance(10 * 60_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(link.status()).toMatchObject({ state: 'auth_failed', reconnects: attempts });
    const stats = (await (await fetch(`${sim?.httpUrl}/sim/stats`)).json()) as {
      accounts: { primary: { connections: number } };
    };
    expect(stats.accounts.primary.connections).toBe(0);
    client.ws.terminate();
  });
});
