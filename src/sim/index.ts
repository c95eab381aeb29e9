/**
 * The simulated broker: a seeded order book with live lifecycles and injectable faults, served
 * on one port in the `ticker-service` dialect (stream, REST and the /sim control API). Used by
 * tests, the demo and `ordergate sim`.
 */
import { type Clock, systemClock } from '../util/clock.js';
import { type Random, seededRandom } from '../util/rng.js';
import { createActivity } from './activity.js';
import { type ControlDeps, controlRoutes, injectFault } from './control.js';
import { createEngine } from './engine.js';
import { createFaults, type FaultRequest } from './faults.js';
import type { SimOrder } from './order.js';
import { createRestDelay, startServer } from './server.js';
import { createStreams } from './streams.js';
import { tickerServiceFormat } from './ticker-service.js';

export type { FaultKind, FaultRequest } from './faults.js';
export type { PlaceOrder, SimOrder } from './order.js';
export { DROP_CLOSE_CODE } from './streams.js';

export interface SimOptions {
  accounts: string[];
  /** Background new orders per second per account; 0 for none. */
  rate: number;
  seed: number;
  host?: string;
  port?: number;
  clock?: Clock;
  /** Overrides the generator seeded with `seed`. */
  random?: () => number;
  logger?: (msg: string) => void;
  /** Chance that a background order is rejected at placement (default 0.05). */
  backgroundRejectRate?: number;
  /** Chance that an order placed through REST is rejected at random (default 0: only faults reject). */
  apiRejectRate?: number;
}

export interface Sim {
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** The authoritative book: copies of the values GET /advanced/orders/{account} returns. */
  book(accountId: string): SimOrder[];
  /** Background order rate for one account, or for all. */
  setRate(rate: number, accountId?: string): void;
  /** Same as POST /sim/faults; throws on an unknown account. */
  injectFault(f: FaultRequest): void;
  /** No lifecycle or generator timer is pending: with rate 0 the book will not change on its own. */
  idle(): boolean;
  close(): Promise<void>;
}

/** Starts a simulator and resolves once it listens. */
export async function startSim(opts: SimOptions): Promise<Sim> {
  if (opts.accounts.length === 0) throw new Error('the sim needs at least one account');
  const clock = opts.clock ?? systemClock;
  const random: Random = opts.random ?? seededRandom(opts.seed);
  const logger = opts.logger ?? (() => {});
  const host = opts.host ?? '127.0.0.1';

  const faults = createFaults(clock);
  const engine = createEngine({
    accounts: [...new Set(opts.accounts)],
    clock,
    random,
    faults,
    backgroundRejectRate: opts.backgroundRejectRate,
    apiRejectRate: opts.apiRejectRate,
  });
  const streams = createStreams({ clock, faults });
  engine.onUpdate((account, order) => streams.broadcast(account, order));
  const activity = createActivity({ engine, clock, random, rate: opts.rate });
  const restDelay = createRestDelay(clock, faults);
  const control: ControlDeps = { engine, faults, streams, activity, logger };
  let batches = 0;

  const server = await startServer({
    host,
    port: opts.port ?? 0,
    engine,
    faults,
    streams,
    formats: [tickerServiceFormat],
    extra: controlRoutes(control),
    ctx: { engine, faults, clock, restDelay: restDelay.delay, nextBatchId: () => `batch-${++batches}` },
    logger,
  });
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  logger(`sim listening on ${hostPort} for ${engine.accounts.join(', ')}`);

  return {
    port: server.port,
    httpUrl: `http://${hostPort}`,
    wsUrl: `ws://${hostPort}`,
    book: (accountId) => engine.book(accountId),
    setRate: (rate, accountId) => activity.setRate(rate, accountId),
    injectFault: (f) => injectFault(control, f),
    idle: () => activity.idle() && engine.timers() === 0,
    async close() {
      activity.close();
      engine.close();
      restDelay.flush();
      await server.close();
    },
  };
}
