/**
 * Property: whatever a client sends, the server neither crashes nor shows it another account's
 * data. fast-check generates client frames (noise, near-miss JSON, real actions on any account);
 * a client whose token allows only `primary` sends them while the broker updates both accounts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/jwt.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';
import { connect, type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

const SECRET = 'property-secret-0123456789';
let broker: FakeBroker;
let gw: StartedGateway;
let token: string;

beforeAll(async () => {
  broker = await startFakeBroker();
  gw = await startGateway({
    auth: { hs256_secret: SECRET },
    security: { ws_messages_per_s: 10_000, ws_message_burst: 10_000, max_connections_per_subject: 1_000 },
    accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: broker.wsUrl, rest_url: broker.url })),
  });
  await waitFor(
    () => [...gw.gateway.links.values()].every((l) => l.status().state === 'connected'),
    'links up',
  );
  token = await mintToken({
    secret: SECRET,
    sub: 'prop',
    accounts: ['primary'],
    scopes: ['orders:read'],
    ttlSeconds: 600,
  });
});

afterAll(async () => {
  await gw.stop();
  await broker.close();
});

const accountId = fc.constantFrom(
  'primary',
  'secondary',
  'ghost',
  '',
  '*',
  'PRIMARY',
  'primary ',
  '../secondary',
);
const action = fc.record(
  {
    action: fc.constantFrom('subscribe', 'unsubscribe', 'Subscribe', 'publish', ''),
    account_id: fc.oneof(accountId, fc.integer(), fc.constant(null)),
    order_id: fc.oneof(fc.string(), fc.integer()),
    since_seq: fc.oneof(fc.integer({ min: -5, max: 1_000 }), fc.string(), fc.double()),
    epoch: fc.oneof(fc.string(), fc.constant(null)),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);
/** Well-formed actions, so that the property reaches the authorization checks, not just the parser. */
const validAction = fc.record(
  {
    action: fc.constantFrom('subscribe', 'unsubscribe'),
    account_id: accountId,
    order_id: fc.constantFrom('P1', 'S1', 'x'),
    since_seq: fc.nat(50),
    epoch: fc.string({ maxLength: 8 }),
  },
  { requiredKeys: ['action', 'account_id'] },
);
const frame = fc.oneof(
  validAction.map((v) => JSON.stringify(v)),
  validAction.map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constant('ping'),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  action.map((v) => JSON.stringify(v)),
);

let n = 0;
const order = (id: string) => ({
  order_id: id,
  tradingsymbol: 'X',
  transaction_type: 'BUY' as const,
  status: 'OPEN',
  quantity: 1,
  filled_quantity: 0,
});

describe('arbitrary client frames', () => {
  it('never crash the server and never reach another account', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 25 }), async (frames) => {
        const c = await connect(`${gw.wsUrl}/ws?token=${token}`);
        try {
          for (const f of frames) c.ws.send(f);
          c.ws.send(JSON.stringify({ action: 'subscribe', account_id: 'primary' }));
          // A pong after the subscribe proves the gateway has handled every frame before it.
          const pongs = () => c.frames.filter((f) => f.type === 'pong').length;
          const expected = frames.filter((f) => f === 'ping').length + 1;
          c.ws.send('ping');
          await waitFor(() => pongs() >= expected, 'pong after the frames', 3_000);
          broker.send('secondary', order(`S${++n}`));
          broker.send('primary', order(`P${n}`));
          await waitFor(
            () => c.frames.some((f) => (f.data as { order_id?: string })?.order_id === `P${n}`),
            'own update',
            3_000,
          );
          const leaked = c.frames.filter(
            (f) =>
              f.account_id === 'secondary' ||
              (f.data as { account_id?: string } | undefined)?.account_id === 'secondary' ||
              ((f.orders as { account_id: string }[] | undefined) ?? []).some(
                (o) => o.account_id === 'secondary',
              ),
          );
          expect(leaked).toEqual([]);
        } finally {
          c.ws.terminate();
        }
      }),
      { numRuns: 30, endOnFailure: true },
    );
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  }, 180_000);
});
