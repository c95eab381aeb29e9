/**
 * Gateway account configs that point at a simulator of each dialect, and the simulator's book as
 * that broker's own REST API presents it, normalized by the gateway's adapter.
 */
import { Agent } from 'undici';
import type { Order } from '../../src/orders/model.js';
import type { Sim, SimDialect } from '../../src/sim/index.js';
import { dialectFor } from '../../src/upstream/dialects/index.js';
import { createRestClient } from '../../src/upstream/rest.js';

/** Credentials the simulator takes: the account id is the API key. */
export function credentialsFor(dialect: SimDialect, id: string): Record<string, string> {
  if (dialect === 'kite') return { api_key: id, access_token: 'token-of-the-day' };
  if (dialect === 'alpaca') return { key_id: id, secret_key: 'alpaca-secret' };
  return { token: 'sim-token' };
}

export function accountFor(sim: Sim, id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    dialect: sim.dialect,
    ws_url: sim.streamUrl,
    rest_url: sim.httpUrl,
    credentials: credentialsFor(sim.dialect, id),
    ...extra,
  };
}

/** The broker's book through its REST API and the gateway's adapter (what a resync sees). */
export async function brokerBook(sim: Sim, id: string): Promise<Map<string, Order>> {
  const dialect = dialectFor(sim.dialect);
  const dispatcher = new Agent();
  try {
    const rest = createRestClient({ dispatcher, timeoutMs: 5_000 });
    const account = {
      id,
      wsUrl: sim.streamUrl,
      restUrl: sim.httpUrl,
      credentials: credentialsFor(sim.dialect, id),
      timeZone: dialect.defaultTimeZone,
    };
    const ctx = { accountId: id, timeZone: dialect.defaultTimeZone, receivedAt: new Date().toISOString() };
    const orders = await dialect.fetchSnapshot(rest, account, ctx);
    return new Map(orders.map((o) => [o.order_id, o]));
  } finally {
    await dispatcher.close();
  }
}
