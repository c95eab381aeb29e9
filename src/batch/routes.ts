/**
 * POST /accounts/{id}/batch-orders and GET …/{batch_id}. Idempotency follows Stripe's rules:
 * the same key and body replay the stored answer (Idempotent-Replayed: true), a different body
 * answers 422, a key whose first request still runs answers 409. Keys are scoped per account and
 * per authenticated subject and kept 24 h.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { type AuthEnv, authorize } from '../auth/http.js';
import type { IdempotencyScope, Store } from '../store/types.js';
import { GatewayError } from '../util/errors.js';
import { createTokenBucket, type TokenBucket } from '../util/token-bucket.js';
import type { BatchExecutor } from './executor.js';
import { BatchRequestSchema } from './schema.js';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface BatchRouteDeps {
  accounts: ReadonlySet<string>;
  executor: BatchExecutor;
  store: Store;
  now: () => number;
  newBatchId?: () => string;
  /** Batch posts allowed per subject: a token bucket (429 with Retry-After past it). */
  rate: { perSecond: number; burst: number };
  /** Called when a request is answered from the idempotency store (metrics). */
  onReplay?(): void;
}

/** Per-subject buckets, bounded: the oldest subject is forgotten past the cap. */
function subjectLimiter(rate: BatchRouteDeps['rate'], now: () => number, cap = 10_000) {
  const buckets = new Map<string, TokenBucket>();
  return (subject: string): TokenBucket => {
    let b = buckets.get(subject);
    if (!b) {
      if (buckets.size >= cap) buckets.delete(buckets.keys().next().value as string);
      b = createTokenBucket(rate.perSecond, rate.burst, now);
      buckets.set(subject, b);
    }
    return b;
  };
}

/** JSON with sorted keys, so that the same body hashes the same whatever its key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The batch-order routes, to be mounted on the app. */
export function batchRoutes(deps: BatchRouteDeps) {
  const app = new Hono<AuthEnv>();
  const newBatchId = deps.newBatchId ?? (() => randomBytes(8).toString('hex'));
  const bucketOf = subjectLimiter(deps.rate, deps.now);

  app.post('/accounts/:id/batch-orders', async (c) => {
    const accountId = c.req.param('id');
    const subject = authorize(c, 'orders:write', accountId, deps.accounts).sub;
    const bucket = bucketOf(subject);
    if (!bucket.take()) {
      c.header('Retry-After', String(Math.max(1, Math.ceil(bucket.waitMs() / 1000))));
      throw new GatewayError('rate_limited', `more than ${deps.rate.perSecond} batches/s for ${subject}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(await c.req.text());
    } catch {
      throw new GatewayError('invalid_request', 'body is not JSON');
    }
    const parsed = BatchRequestSchema.safeParse(json);
    if (!parsed.success) {
      const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      throw new GatewayError('invalid_request', `${details.length} problem(s) in the request`, { details });
    }
    const key = c.req.header('idempotency-key');
    if (key !== undefined && (key.length === 0 || key.length > 255)) {
      throw new GatewayError('invalid_request', 'Idempotency-Key must be 1 to 255 characters');
    }
    const batchId = newBatchId();
    let scope: IdempotencyScope | null = null;
    if (key !== undefined) {
      scope = { account_id: accountId, subject, key };
      deps.store.expireIdempotent(deps.now() - IDEMPOTENCY_TTL_MS);
      const hash = createHash('sha256').update(canonical(parsed.data)).digest('hex');
      const held = deps.store.beginIdempotent(scope, hash, batchId, deps.now());
      if (held.state === 'mismatch') {
        throw new GatewayError('idempotency_mismatch', 'this Idempotency-Key was used with a different body');
      }
      if (held.state === 'in_progress') {
        throw new GatewayError(
          'conflict',
          `a request with this Idempotency-Key is still running (batch ${held.batch_id})`,
        );
      }
      if (held.state === 'done') {
        deps.onReplay?.();
        c.header('Idempotent-Replayed', 'true');
        return c.json(held.body as object, held.status as 200);
      }
    }
    try {
      const { result, unreachable } = await deps.executor.run(accountId, subject, parsed.data, batchId);
      if (unreachable) {
        if (scope) deps.store.releaseIdempotent(scope);
        c.header('Retry-After', '5');
        throw new GatewayError(
          'upstream_unavailable',
          `the broker for ${accountId} is unreachable; nothing was placed`,
          {
            details: { batch_id: batchId },
          },
        );
      }
      if (scope) deps.store.finishIdempotent(scope, 200, result);
      return c.json(result, 200);
    } catch (err) {
      // A request that ended without a result frees its key for a retry, unless a leg may have
      // reached the broker: then the key stays held (409) and recovery finishes the batch.
      const journal = deps.store.getBatch(accountId, batchId);
      const sent = journal?.legs.some((l) => l.step !== 'intent' && l.step !== 'not_sent') ?? false;
      if (scope && !sent) deps.store.releaseIdempotent(scope);
      if (err instanceof GatewayError && err.code === 'rate_limited') c.header('Retry-After', '1');
      throw err;
    }
  });

  app.get('/accounts/:id/batch-orders/:batchId', (c) => {
    const accountId = c.req.param('id');
    authorize(c, 'orders:read', accountId, deps.accounts);
    const result = deps.executor.get(accountId, c.req.param('batchId'));
    if (!result) throw new GatewayError('not_found', 'no such batch on this account');
    return c.json(result);
  });

  return app;
}
