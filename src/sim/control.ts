/**
 * The simulator's control API (no auth): inject and clear faults, change the background order
 * rate, and read per-account stats. Shared by every wire format.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Activity } from './activity.js';
import type { Engine } from './engine.js';
import { type FaultRequest, FaultRequestSchema, type Faults } from './faults.js';
import type { Streams } from './streams.js';
import { errorBody, firstIssue, readJson } from './wire.js';

const ActivitySchema = z.object({
  rate: z.number().nonnegative().finite(),
  account_id: z.string().min(1).optional(),
});

export interface ControlDeps {
  engine: Engine;
  faults: Faults;
  streams: Streams;
  activity: Activity;
  logger: (msg: string) => void;
}

/**
 * Applies a fault: `drop` acts at once, the others are registered. Throws on an unknown
 * account or an invalid request.
 */
export function injectFault(deps: ControlDeps, input: FaultRequest): void {
  const f = FaultRequestSchema.parse(input);
  if (!deps.engine.has(f.account_id)) throw new Error(`unknown account: ${f.account_id}`);
  deps.logger(`fault ${f.kind} on ${f.account_id}`);
  if (f.kind === 'drop') deps.streams.drop(f.account_id);
  else deps.faults.add(f);
}

/** GET /sim/stats body. */
export function stats(deps: ControlDeps) {
  const accounts: Record<string, unknown> = {};
  for (const a of deps.engine.accounts) {
    accounts[a] = {
      connections: deps.streams.connections(a),
      orders: deps.engine.book(a).length,
      rate: deps.activity.rate(a),
      faults: deps.faults.list(a),
    };
  }
  return { accounts };
}

/** The /sim routes. */
export function controlRoutes(deps: ControlDeps): Hono {
  const app = new Hono();
  const unknown = (a: string) => errorBody('unknown_account', `no such account: ${a}`);

  app.post('/sim/faults', async (c) => {
    const body = await readJson(c.req);
    const req = body && FaultRequestSchema.safeParse(body.value);
    if (!req?.success)
      return c.json(errorBody('invalid_request', req ? firstIssue(req.error) : 'body is not JSON'), 400);
    if (!deps.engine.has(req.data.account_id)) return c.json(unknown(req.data.account_id), 404);
    injectFault(deps, req.data);
    return c.json({ ok: true });
  });

  app.delete('/sim/faults', (c) => {
    deps.faults.clear();
    return c.json({ ok: true });
  });

  app.post('/sim/activity', async (c) => {
    const body = await readJson(c.req);
    const req = body && ActivitySchema.safeParse(body.value);
    if (!req?.success)
      return c.json(errorBody('invalid_request', req ? firstIssue(req.error) : 'body is not JSON'), 400);
    const account = req.data.account_id;
    if (account !== undefined && !deps.engine.has(account)) return c.json(unknown(account), 404);
    deps.activity.setRate(req.data.rate, account);
    return c.json({ ok: true });
  });

  app.get('/sim/stats', (c) => c.json(stats(deps)));
  return app;
}
