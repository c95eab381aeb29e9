/**
 * The SQLite store: one file under the data dir, WAL mode, synchronous statements (they take
 * microseconds, and a journal entry must be on disk before the step it describes is taken).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { BatchRow, IdempotencyScope, LegRow, Store } from './types.js';

const schema = `
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, subject TEXT NOT NULL, mode TEXT NOT NULL,
  request TEXT NOT NULL, state TEXT NOT NULL, result TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS batches_in_flight ON batches(state) WHERE state = 'in_flight';
CREATE TABLE IF NOT EXISTS legs (
  batch_id TEXT NOT NULL, idx INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (batch_id, idx));
CREATE TABLE IF NOT EXISTS steps (
  id INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL, idx INTEGER NOT NULL,
  step TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS steps_batch ON steps(batch_id);
CREATE TABLE IF NOT EXISTS idempotency (
  account_id TEXT NOT NULL, subject TEXT NOT NULL, key TEXT NOT NULL, body_hash TEXT NOT NULL,
  batch_id TEXT NOT NULL, status INTEGER, body TEXT, created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, subject, key));
CREATE INDEX IF NOT EXISTS idempotency_batch ON idempotency(batch_id);
`;

/** Opens (creating if needed) the store at `path`. */
export function openSqliteStore(path: string, now: () => number = Date.now): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(schema);

  const iso = () => new Date(now()).toISOString();
  const q = {
    insertBatch: db.prepare(
      'INSERT INTO batches (batch_id, account_id, subject, mode, request, state, result, created_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)',
    ),
    putLeg: db.prepare('INSERT OR REPLACE INTO legs (batch_id, idx, data) VALUES (?, ?, ?)'),
    getLeg: db.prepare<[string, number], { data: string }>(
      'SELECT data FROM legs WHERE batch_id = ? AND idx = ?',
    ),
    step: db.prepare('INSERT INTO steps (batch_id, idx, step, at) VALUES (?, ?, ?, ?)'),
    complete: db.prepare("UPDATE batches SET state = 'done', result = ? WHERE batch_id = ?"),
    batch: db.prepare<[string, string], Record<string, string>>(
      'SELECT * FROM batches WHERE account_id = ? AND batch_id = ?',
    ),
    legs: db.prepare<[string], { data: string }>('SELECT data FROM legs WHERE batch_id = ? ORDER BY idx'),
    inFlight: db.prepare<[], Record<string, string>>(
      "SELECT * FROM batches WHERE state = 'in_flight' ORDER BY created_at",
    ),
    idemGet: db.prepare<[string, string, string], Record<string, string | number | null>>(
      'SELECT * FROM idempotency WHERE account_id = ? AND subject = ? AND key = ?',
    ),
    idemInsert: db.prepare(
      'INSERT INTO idempotency (account_id, subject, key, body_hash, batch_id, status, body, created_at) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)',
    ),
    idemFinish: db.prepare(
      'UPDATE idempotency SET status = ?, body = ? WHERE account_id = ? AND subject = ? AND key = ?',
    ),
    idemDelete: db.prepare('DELETE FROM idempotency WHERE account_id = ? AND subject = ? AND key = ?'),
    idemByBatch: db.prepare<[string], IdempotencyScope>(
      'SELECT account_id, subject, key FROM idempotency WHERE batch_id = ?',
    ),
    idemExpire: db.prepare('DELETE FROM idempotency WHERE created_at < ?'),
  };

  const toBatch = (r: Record<string, string>): BatchRow => ({
    batch_id: r.batch_id as string,
    account_id: r.account_id as string,
    subject: r.subject as string,
    mode: r.mode as BatchRow['mode'],
    request: JSON.parse(r.request as string),
    state: r.state as BatchRow['state'],
    result: r.result ? JSON.parse(r.result) : null,
    created_at: r.created_at as string,
  });
  const legsOf = (batchId: string): LegRow[] => q.legs.all(batchId).map((r) => JSON.parse(r.data));

  return {
    createBatch: db.transaction((batch: BatchRow, legs: LegRow[]) => {
      q.insertBatch.run(
        batch.batch_id,
        batch.account_id,
        batch.subject,
        batch.mode,
        JSON.stringify(batch.request),
        batch.state,
        batch.created_at,
      );
      for (const leg of legs) {
        q.putLeg.run(batch.batch_id, leg.index, JSON.stringify(leg));
        q.step.run(batch.batch_id, leg.index, leg.step, batch.created_at);
      }
    }),
    updateLeg: db.transaction((batchId: string, index: number, patch: Partial<LegRow> & { step: string }) => {
      const row = q.getLeg.get(batchId, index);
      if (!row) throw new Error(`no leg ${index} in batch ${batchId}`);
      q.putLeg.run(batchId, index, JSON.stringify({ ...JSON.parse(row.data), ...patch }));
      q.step.run(batchId, index, patch.step, iso());
    }),
    completeBatch(batchId, result) {
      q.complete.run(JSON.stringify(result), batchId);
    },
    getBatch(accountId, batchId) {
      const r = q.batch.get(accountId, batchId);
      return r ? { batch: toBatch(r), legs: legsOf(batchId) } : null;
    },
    inFlight: () => q.inFlight.all().map((r) => ({ batch: toBatch(r), legs: legsOf(r.batch_id as string) })),
    beginIdempotent: db.transaction(
      (scope: IdempotencyScope, bodyHash: string, batchId: string, at: number) => {
        const r = q.idemGet.get(scope.account_id, scope.subject, scope.key);
        if (!r) {
          q.idemInsert.run(scope.account_id, scope.subject, scope.key, bodyHash, batchId, at);
          return { state: 'new' } as const;
        }
        if (r.body_hash !== bodyHash) return { state: 'mismatch' } as const;
        if (r.status === null) return { state: 'in_progress', batch_id: r.batch_id as string } as const;
        return { state: 'done', status: r.status as number, body: JSON.parse(r.body as string) } as const;
      },
    ),
    finishIdempotent(scope, status, body) {
      q.idemFinish.run(status, JSON.stringify(body), scope.account_id, scope.subject, scope.key);
    },
    releaseIdempotent(scope) {
      q.idemDelete.run(scope.account_id, scope.subject, scope.key);
    },
    idempotencyOf: (batchId) => q.idemByBatch.get(batchId) ?? null,
    expireIdempotent: (cutoff) => q.idemExpire.run(cutoff).changes,
    ping() {
      return db.prepare('SELECT 1 AS ok').get() !== undefined;
    },
    close() {
      db.close();
    },
  };
}
