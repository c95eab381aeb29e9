import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import type { Order } from '../src/orders/model.js';
import type { LinkStatus } from '../src/upstream/link.js';
import { silentLogger } from '../src/util/log.js';

const order = { account_id: 'primary', order_id: 'A', status: 'open' } as Order;
const link = (account_id: string, state: LinkStatus['state']): LinkStatus => ({
  account_id,
  dialect: 'ticker-service',
  state,
  since: '2026-11-22T09:00:00.000Z',
  last_message_at: null,
  reconnects: 0,
  messages: 0,
  frames: { update: 0, control: 0, heartbeat: 0, invalid: 0 },
  last_error: null,
});

function app(states: LinkStatus['state'][] = ['connected', 'connected']) {
  return createApp({
    accounts: ['primary', 'secondary'],
    linkStatuses: () => [link('primary', states[0] ?? 'down'), link('secondary', states[1] ?? 'down')],
    clientCounts: () => ({ account: 2, all: 1, message: 0 }),
    orders: (id) => (id === 'primary' ? [order] : []),
    order: (id, oid) => (id === 'primary' && oid === 'A' ? order : undefined),
    log: silentLogger,
    verifier: null,
    security: { corsOrigins: [], maxBodyBytes: 65_536 },
  });
}

describe('REST', () => {
  it('answers health and readiness', async () => {
    expect((await app().request('/health')).status).toBe(200);
    expect((await app().request('/ready')).status).toBe(200);
    const notReady = await app(['connected', 'reconnecting']).request('/ready');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      ready: false,
      links: [{ state: 'connected' }, { state: 'reconnecting' }],
    });
  });

  it('reports links and clients on /ws/status', async () => {
    const body = await (await app().request('/ws/status')).json();
    expect(body).toMatchObject({
      links: [
        { account_id: 'primary', state: 'connected' },
        { account_id: 'secondary', state: 'connected' },
      ],
      clients: { account: 2, all: 1 },
    });
  });

  it.each([
    ['/accounts/primary/orders', 200, { account_id: 'primary', orders: [order] }],
    ['/accounts/primary/orders/A', 200, order],
    ['/accounts/primary/orders/Z', 404, { error: { code: 'not_found' } }],
    ['/accounts/ghost/orders', 404, { error: { code: 'unknown_account' } }],
    ['/accounts/ghost/orders/A', 404, { error: { code: 'unknown_account' } }],
    ['/nowhere', 404, { error: { code: 'not_found' } }],
  ])('GET %s → %i', async (path, status, body) => {
    const res = await app().request(path);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject(body);
  });
});
