/**
 * Native mode: the broker's own atomic batch (ticker-service's /advanced/batch-orders). The
 * broker's word is checked, not trusted: a leg it calls cancelled is looked up, so fills that
 * happened before the rollback still make the batch `partial`.
 */
import type { BatchRow, LegRow } from '../store/types.js';
import { GatewayError } from '../util/errors.js';
import { type LegContext, resolveLeg, verifyLeg } from './legs.js';

/** Runs a batch through the broker's atomic batch call, then checks what it reports. */
export async function runNative(ctx: LegContext, batch: BatchRow, legs: LegRow[]): Promise<void> {
  const batchCall = ctx.api.batch;
  if (!batchCall) throw new Error('native batch mode on a dialect without one');
  for (const leg of legs) ctx.save(leg, { step: 'placing' });
  for (const _ of legs) await ctx.limiter.take();
  const requests = legs.map((l) => ({
    leg: batch.request.orders[l.index] as (typeof batch.request.orders)[0],
    clientId: l.client_order_id,
  }));
  try {
    const answer = await batchCall(
      ctx.rest,
      ctx.account(),
      requests,
      batch.request.rollback_on_failure,
      ctx.legTimeoutMs,
    );
    for (const leg of legs) {
      const a = answer.find((x) => x.index === leg.index);
      if (!a) {
        ctx.save(leg, { step: 'unknown', status: 'unknown', error: 'missing from the broker answer' });
        continue;
      }
      const status =
        a.status === 'rejected'
          ? 'rejected'
          : a.status === 'filled'
            ? 'filled'
            : a.status === 'cancelled'
              ? 'cancelled'
              : 'placed';
      ctx.save(leg, { step: a.status, status, order_id: a.order_id, error: a.error });
    }
  } catch (err) {
    const code = err instanceof GatewayError ? err.code : 'internal';
    if (code === 'upstream_unavailable' || code === 'unauthorized') {
      for (const leg of legs)
        ctx.save(leg, {
          step: code === 'unauthorized' ? 'rejected' : 'not_sent',
          status: 'rejected',
          error: (err as Error).message,
        });
      return;
    }
    for (const leg of legs)
      ctx.save(leg, { step: 'unknown', status: 'unknown', error: `no answer: ${(err as Error).message}` });
  }
  // Find out what an unanswered batch did, and check what the broker says it rolled back.
  await Promise.all(
    legs.map((l) =>
      l.status === 'unknown'
        ? resolveLeg(ctx, l)
        : l.status === 'cancelled' || l.status === 'filled'
          ? verifyLeg(ctx, l)
          : null,
    ),
  );
}
