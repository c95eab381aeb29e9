/**
 * The simulated broker: a seeded order book with live lifecycles and injectable faults, served
 * on one port in one broker dialect (stream, REST) plus the /sim control API, which is the same
 * for every dialect. Used by tests, the demo and `ordergate sim`.
 */
import { type Clock, systemClock } from '../util/clock.js';
import { type Random, seededRandom } from '../util/rng.js';
import { createActivity } from './activity.js';
import { createAlpacaFormat } from './alpaca.js';
import { type ControlDeps, controlRoutes, injectFault } from './control.js';
import { createEngine } from './engine.js';
import { createFaults, type FaultRequest } from './faults.js';
import { createKiteFormat } from './kite.js';
import type { SimOrder } from './order.js';
import { createRestDelay, startServer } from './server.js';
import { createStreams } from './streams.js';
import { createTickerServiceFormat } from './ticker-service.js';
import type { SimContext, WireFormat } from './wire.js';

export { alpacaId } from './alpaca-order.js';
export type { OrderChange } from './engine.js';
export type { FaultKind, FaultRequest } from './faults.js';
export type { PlaceOrder, SimOrder } from './order.js';
export { DROP_CLOSE_CODE } from './streams.js';

/** The broker a sim instance speaks: stream handshake and frames, REST paths and auth. */
export type SimDialect = 'ticker-service' | 'kite' | 'alpaca';

const formats: Record<SimDialect, (ctx: SimContext) => WireFormat> = {
  'ticker-service': createTickerServiceFormat,
  kite: createKiteFormat,
  alpaca: createAlpacaFormat,
};

/** Every dialect the sim speaks (for option validation). */
export const SIM_DIALECTS = Object.keys(formats) as readonly SimDialect[];

export interface SimOptions {
  /** Account ids; in the kite and alpaca dialects each is also the account's API key. */
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
  /** The wire format served (default ticker-service). */
  dialect?: SimDialect;
}

export interface Sim {
  readonly dialect: SimDialect;
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /**
   * The `ws_url` a gateway account of this dialect is configured with: the server root for
   * ticker-service and kite (their adapters add the path or query), `{wsUrl}/stream` for alpaca.
   */
  readonly streamUrl: string;
  /**
   * The authoritative book in the engine's (Kite-vocabulary) form: for ticker-service, exactly what
   * GET /advanced/orders/{account} returns; the kite and alpaca formats convert it.
   */
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
  const dialect = opts.dialect ?? 'ticker-service';
  if (!(dialect in formats)) throw new Error(`unknown sim dialect: ${dialect}`);

  const faults = createFaults(clock);
  const engine = createEngine({
    accounts: [...new Set(opts.accounts)],
    clock,
    random,
    faults,
    backgroundRejectRate: opts.backgroundRejectRate,
    apiRejectRate: opts.apiRejectRate,
    // An Alpaca change of price is a replacement (a new order id), which the engine doesn't model.
    modifications: dialect !== 'alpaca',
  });
  const streams = createStreams({ faults });
  engine.onUpdate((account, order, change) =>
    streams.broadcast(account, order, change, new Date(clock.now()).toISOString()),
  );
  const market = dialect === 'alpaca' ? 'US' : 'IN';
  const activity = createActivity({ engine, clock, random, rate: opts.rate, market });
  const restDelay = createRestDelay(clock, faults);
  const control: ControlDeps = { engine, faults, streams, activity, logger };
  let batches = 0;
  const ctx: SimContext = {
    engine,
    faults,
    clock,
    restDelay: restDelay.delay,
    nextBatchId: () => `batch-${++batches}`,
  };

  const server = await startServer({
    host,
    port: opts.port ?? 0,
    faults,
    streams,
    formats: [formats[dialect](ctx)],
    extra: controlRoutes(control),
    ctx,
    logger,
  });
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  logger(`sim (${dialect}) listening on ${hostPort} for ${engine.accounts.join(', ')}`);

  return {
    dialect,
    port: server.port,
    httpUrl: `http://${hostPort}`,
    wsUrl: `ws://${hostPort}`,
    streamUrl: `ws://${hostPort}${dialect === 'alpaca' ? '/stream' : ''}`,
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
