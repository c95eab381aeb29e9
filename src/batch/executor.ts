/**
 * The batch executor (DESIGN.md "Batch orders"). Native mode hands the legs to the broker's
 * atomic batch; gateway mode places them concurrently and, on a failure, cancels what was placed
 * and waits for final states. Every step is journaled before it is taken, so recover() can
 * finish or roll back a batch that a crash left in flight.
 */
import type { NormalizeContext } from '../orders/kite-vocabulary.js';
import type { Order } from '../orders/model.js';
import type { BatchRow, LegRow, Store } from '../store/types.js';
import type { DialectAccount, OrderApi } from '../upstream/dialects/types.js';
import type { LinkState } from '../upstream/link.js';
import type { RestClient } from '../upstream/rest.js';
import type { Clock } from '../util/clock.js';
import { GatewayError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { confirmLeg, type LegContext, placeLeg, resolveLeg, rollBackLeg } from './legs.js';
import { runNative } from './native.js';
import { batchOutcome, tally } from './outcome.js';
import type { RateLimiter } from './rate-limit.js';
import type { BatchRequest, BatchResult } from './schema.js';

/** What the executor needs of one account. */
export interface Desk {
  mode: 'native' | 'gateway';
  api: OrderApi;
  rest: RestClient;
  account(): DialectAccount;
  linkState(): LinkState;
  known(orderId: string): Order | undefined;
  limiter: RateLimiter;
}

export interface ExecutorDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  desks: ReadonlyMap<string, Desk>;
  settings: { legTimeoutMs: number; finalStateTimeoutMs: number; pollMs: number };
  /** Called once a batch has its outcome, with the time this process spent on it (metrics). */
  onFinished?(result: BatchResult, ms: number): void;
}

export interface BatchRun {
  result: BatchResult;
  /** No leg reached the broker because it could not be reached: answer 503, keep nothing. */
  unreachable: boolean;
}

export interface BatchExecutor {
  run(accountId: string, subject: string, request: BatchRequest, batchId: string): Promise<BatchRun>;
  /** Finishes every batch a previous process left in flight; resolves with how many. */
  recover(): Promise<number>;
  /** The stored result, or the progress of a batch still running. */
  get(accountId: string, batchId: string): BatchResult | null;
  /** Resolves once no batch is running, or after `timeoutMs` (what's left is recovered on start). */
  drain(timeoutMs: number): Promise<void>;
}

/** Client ids derived from the batch id: short enough for Kite's 20-character tag. */
export const clientIdFor = (batchId: string, index: number) => `og${batchId.slice(0, 12)}${index}`;

function resultOf(batch: BatchRow, legs: LegRow[], done: string | null): BatchResult {
  const legResults = legs.map(({ step: _step, ...l }) => l);
  return {
    status: done ? batchOutcome(legResults) : 'in_progress',
    account_id: batch.account_id,
    batch_id: batch.batch_id,
    mode: batch.mode,
    total_orders: legs.length,
    ...tally(legResults),
    legs: legResults,
    created_at: batch.created_at,
    completed_at: done,
  };
}

/** The executor over the accounts' desks and the journal. */
export function createBatchExecutor(deps: ExecutorDeps): BatchExecutor {
  const { store, clock, log, settings } = deps;
  const iso = () => new Date(clock.now()).toISOString();

  function legContext(batchId: string, desk: Desk): LegContext {
    return {
      ...settings,
      api: desk.api,
      rest: desk.rest,
      account: desk.account,
      limiter: desk.limiter,
      clock,
      linkState: desk.linkState,
      known: desk.known,
      normalize: (): NormalizeContext => {
        const { id, timeZone } = desk.account();
        return { accountId: id, timeZone, receivedAt: iso() };
      },
      save(leg, patch) {
        store.updateLeg(batchId, leg.index, patch);
        Object.assign(leg, patch);
        log.debug({ batch: batchId, leg: leg.index, step: patch.step }, 'batch step');
      },
    };
  }

  /** Rolls back what was placed when anything failed and the request asks for it. */
  async function settle(
    ctx: LegContext,
    batch: BatchRow,
    legs: LegRow[],
    startedAt: number,
  ): Promise<BatchResult> {
    const failed = legs.some((l) => l.status !== 'placed');
    if (failed && batch.request.rollback_on_failure) {
      await Promise.all(legs.filter((l) => l.status === 'unknown').map((l) => resolveLeg(ctx, l)));
      // `open`: a leg the broker said it rolled back, found still live (native mode).
      await Promise.all(
        legs.filter((l) => l.status === 'placed' || l.status === 'open').map((l) => rollBackLeg(ctx, l)),
      );
    }
    const result = resultOf(batch, legs, iso());
    store.completeBatch(batch.batch_id, result);
    deps.onFinished?.(result, clock.now() - startedAt);
    log.info({ batch: batch.batch_id, account: batch.account_id, outcome: result.status }, 'batch finished');
    return result;
  }

  const inFlight = new Set<Promise<BatchRun>>();

  async function execute(
    accountId: string,
    subject: string,
    request: BatchRequest,
    batchId: string,
  ): Promise<BatchRun> {
    const startedAt = clock.now();
    const desk = deps.desks.get(accountId);
    if (!desk) throw new Error(`no desk for ${accountId}`);
    // Legs that would wait longer than a leg timeout for the broker's rate are refused up front,
    // before anything is journaled or sent: the queue of an account stays bounded.
    const wait = desk.limiter.delayFor(request.orders.length);
    if (wait > settings.legTimeoutMs) {
      throw new GatewayError(
        'rate_limited',
        `the broker's order rate for ${accountId} is taken for ${wait} ms`,
      );
    }
    const batch: BatchRow = {
      batch_id: batchId,
      account_id: accountId,
      subject,
      mode: desk.mode,
      request,
      state: 'in_flight',
      result: null,
      created_at: iso(),
    };
    const legs: LegRow[] = request.orders.map((_, index) => ({
      index,
      status: 'unknown',
      order_id: null,
      client_order_id: clientIdFor(batchId, index),
      filled_quantity: 0,
      error: null,
      step: 'intent',
    }));
    store.createBatch(batch, legs);
    const ctx = legContext(batchId, desk);
    if (desk.mode === 'native') await runNative(ctx, batch, legs);
    else {
      const orders = request.orders;
      await Promise.all(
        legs.map((leg) => placeLeg(ctx, leg, orders[leg.index] as BatchRequest['orders'][0])),
      );
      const placed = legs.filter((l) => l.status === 'placed');
      if (desk.api.rejectsLater) await Promise.all(placed.map((l) => confirmLeg(ctx, l)));
    }
    const unreachable = legs.every((l) => l.step === 'not_sent');
    return { result: await settle(ctx, batch, legs, startedAt), unreachable };
  }

  return {
    run(accountId, subject, request, batchId) {
      const running = execute(accountId, subject, request, batchId);
      inFlight.add(running);
      const forget = () => inFlight.delete(running);
      running.then(forget, forget);
      return running;
    },

    async drain(timeoutMs) {
      if (inFlight.size === 0) return;
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.allSettled([...inFlight]), deadline]);
      clock.clearTimeout(timer);
    },

    async recover() {
      const pending = store.inFlight();
      for (const { batch, legs } of pending) {
        const desk = deps.desks.get(batch.account_id);
        if (!desk) continue;
        const startedAt = clock.now();
        const ctx = legContext(batch.batch_id, desk);
        log.warn({ batch: batch.batch_id, account: batch.account_id }, 'finishing a batch left in flight');
        for (const leg of legs) {
          if (leg.step === 'intent')
            ctx.save(leg, { step: 'not_sent', status: 'rejected', error: 'not sent: gateway restarted' });
          else if (leg.status !== 'placed' && leg.status !== 'rejected') await resolveLeg(ctx, leg);
        }
        const result = await settle(ctx, batch, legs, startedAt);
        const scope = store.idempotencyOf(batch.batch_id);
        if (scope) store.finishIdempotent(scope, 200, result);
      }
      return pending.length;
    },

    get(accountId, batchId) {
      const found = store.getBatch(accountId, batchId);
      if (!found) return null;
      return found.batch.result ?? resultOf(found.batch, found.legs, null);
    },
  };
}
