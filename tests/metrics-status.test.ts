/**
 * GET /ws/status and GET /metrics tell the same story: after updates, invalid frames,
 * heartbeats, a reconnect and clients on every stream, each link's reconnects, messages, events
 * by kind, last message time and state, and the client counts per stream, agree exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkStatus } from '../src/upstream/link.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';
import { linksUp, type ObservedGateway, startObserved } from './helpers/observed-gateway.js';
import { parseSamples, sampleValue, scrape } from './helpers/prom.js';
import { type Client, connect } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let broker: FakeBroker | undefined;
let gw: ObservedGateway | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  await broker?.close();
  gw = broker = undefined;
});

interface Status {
  links: LinkStatus[];
  clients: Record<string, number>;
}

const order = (id: string) => ({
  order_id: id,
  tradingsymbol: 'INFY',
  transaction_type: 'BUY' as const,
  status: 'OPEN',
  quantity: 5,
  filled_quantity: 0,
});

async function agree(g: ObservedGateway): Promise<Status> {
  const status = (await (await fetch(`${g.url}/ws/status`)).json()) as Status;
  const s = parseSamples(await scrape(g.url));
  for (const link of status.links) {
    const account = link.account_id;
    const v = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(s, name, { account, ...labels });
    expect(v('ordergate_upstream_reconnects_total'), `${account} reconnects`).toBe(link.reconnects);
    expect(v('ordergate_upstream_websocket_messages_total'), `${account} messages`).toBe(link.messages);
    for (const [kind, n] of Object.entries(link.frames)) {
      expect(v('ordergate_upstream_messages_total', { kind }), `${account} ${kind}`).toBe(n);
    }
    const last = link.last_message_at === null ? 0 : Date.parse(link.last_message_at) / 1000;
    expect(v('ordergate_upstream_last_message_timestamp_seconds')).toBe(last);
    expect(v('ordergate_upstream_up')).toBe(link.state === 'connected' ? 1 : 0);
    expect(v('ordergate_upstream_state', { state: link.state })).toBe(1);
  }
  for (const [stream, n] of Object.entries(status.clients)) {
    expect(sampleValue(s, 'ordergate_clients', { stream }), `clients ${stream}`).toBe(n);
  }
  return status;
}

describe('/ws/status agrees with /metrics', () => {
  it('on reconnects, messages by kind, last message and client counts, after traffic', async () => {
    broker = await startFakeBroker();
    const b = broker;
    gw = await startObserved({
      upstream: { backoff_min_ms: 10, backoff_max_ms: 50 },
      accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: b.wsUrl, rest_url: b.url })),
    });
    const g = gw;
    await waitFor(linksUp(g.gateway), 'links up');
    await agree(g);

    for (const url of [
      '/ws/orders/primary',
      '/ws/orders/primary',
      '/ws/orders/secondary',
      '/ws/orders',
      '/ws',
    ]) {
      clients.push(await connect(`${g.wsUrl}${url}`));
    }
    const primary = g.gateway.links.get('primary');
    for (let i = 0; i < 4; i++) b.send('primary', order(`P${i}`));
    b.sendRaw('not json');
    b.sendRaw('pong');
    await waitFor(() => primary?.status().frames.heartbeat === 1, 'frames in');
    b.dropAll();
    await waitFor(() => primary?.status().reconnects === 1, 'reconnect');
    await waitFor(linksUp(g.gateway), 'links up again');
    b.send('primary', order('P9'));
    await waitFor(() => clients[0]?.of('order_update').length === 5, 'last update relayed');

    const status = await agree(g);
    const p = status.links.find((l) => l.account_id === 'primary') as LinkStatus;
    // 'not json' is invalid; 'pong' a heartbeat. (The secondary link reads primary's frames as invalid.)
    expect(p.frames).toEqual({ update: 5, control: 0, heartbeat: 1, invalid: 1 });
    expect(p.messages).toBe(7);
    expect(p.reconnects).toBe(1);
    expect(status.clients).toEqual({ account: 3, all: 1, message: 1 });
  });
});
