/**
 * A gateway over the simulated broker after a little of everything an operator would see: live
 * activity, clients on every stream and a resume, batches (success, rolled back, replayed), an
 * upstream drop and reconnect, malformed frames, and REST calls including a 404.
 */
import { type Sim, startSim } from '../../src/sim/index.js';
import { linksUp, type ObservedGateway, startObserved } from './observed-gateway.js';
import { type Client, connect } from './start-gateway.js';
import { waitFor } from './wait.js';

export interface Traffic {
  gw: ObservedGateway;
  sim: Sim;
  clients: Client[];
  stop(): Promise<void>;
}

const legs = ['NIFTY24DEC23800PE', 'NIFTY24DEC24200CE'].map((tradingsymbol) => ({
  tradingsymbol,
  exchange: 'NFO',
  transaction_type: 'BUY',
  quantity: 50,
  order_type: 'LIMIT',
  product: 'NRML',
  price: 100,
}));

async function post(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function batch(gw: ObservedGateway, account: string, key: string): Promise<void> {
  const res = await fetch(`${gw.url}/accounts/${account}/batch-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ orders: legs }),
  });
  if (res.status !== 200) throw new Error(`batch on ${account}: ${res.status} ${await res.text()}`);
}

/** Starts the sim and a gateway, and drives traffic through both. */
export async function startWithTraffic(): Promise<Traffic> {
  const sim = await startSim({ accounts: ['primary', 'secondary'], rate: 20, seed: 5 });
  const gw = await startObserved({
    upstream: { backoff_min_ms: 10, backoff_max_ms: 50 },
    batch: { leg_timeout_ms: 2_000, final_state_timeout_ms: 3_000 },
    accounts: [
      { id: 'primary', ws_url: sim.wsUrl, rest_url: sim.httpUrl, batch_mode: 'native' },
      { id: 'secondary', ws_url: sim.wsUrl, rest_url: sim.httpUrl, batch_mode: 'gateway' },
    ],
  });
  const clients: Client[] = [];
  const stop = async () => {
    for (const c of clients) c.ws.terminate();
    await gw.stop();
    await sim.close();
  };
  try {
    await waitFor(linksUp(gw.gateway), 'links up');
    for (const path of ['/ws/orders/primary', '/ws/orders', '/ws'])
      clients.push(await connect(`${gw.wsUrl}${path}`));
    clients[2]?.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'secondary' }));
    const admin = clients[1] as Client;
    await waitFor(() => admin.of('order_update').length >= 10, 'activity relayed', 10_000);
    const { epoch } = admin.of('connected')[0] as { epoch: string };
    clients.push(await connect(`${gw.wsUrl}/ws/orders/primary?since_seq=1&epoch=${epoch}`));

    await batch(gw, 'primary', 'traffic-1');
    await batch(gw, 'primary', 'traffic-1');
    // Background orders are placements too: stop them so the fault hits the batch's second leg.
    sim.setRate(0);
    await post(`${sim.httpUrl}/sim/faults`, {
      account_id: 'secondary',
      kind: 'reject_next',
      skip: 1,
      count: 1,
    });
    await batch(gw, 'secondary', 'traffic-2');

    const primary = gw.gateway.links.get('primary');
    await post(`${sim.httpUrl}/sim/faults`, { account_id: 'primary', kind: 'malformed', count: 1 });
    await post(`${sim.httpUrl}/sim/faults`, { account_id: 'primary', kind: 'drop' });
    await waitFor(() => (primary?.status().reconnects ?? 0) >= 1, 'a reconnect', 10_000);
    await waitFor(linksUp(gw.gateway), 'links up again', 10_000);
    for (const path of ['/health', '/ready', '/ws/status', '/accounts/primary/orders', '/nowhere']) {
      await (await fetch(`${gw.url}${path}`)).arrayBuffer();
    }
    return { gw, sim, clients, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
