/**
 * `ordergate normalize`: captured upstream frames in, normalized orders out. Each input line is
 * one frame, read by the same `dialect.parse` the live link calls, so a captured broker log can
 * be checked against what the gateway would have relayed.
 */
import type { Dialect } from './dialects/types.js';

export interface NormalizeOptions {
  dialect: Dialect;
  accountId: string;
  timeZone: string;
  /** Credentials, for dialects that verify frames (Kite's checksum needs api_secret). */
  credentials?: Record<string, string>;
  /** Time stamped on orders whose frame carries none. */
  now?: () => number;
}

export interface NormalizeResult {
  lines: number;
  updates: number;
  unreadable: number;
}

/** Reads frames line by line; writes one JSON order per update and one stderr line per bad frame. */
export async function normalizeLines(
  input: AsyncIterable<string>,
  opts: NormalizeOptions,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<NormalizeResult> {
  const now = opts.now ?? Date.now;
  const account = {
    id: opts.accountId,
    wsUrl: 'ws://normalize.invalid',
    restUrl: 'http://normalize.invalid',
    credentials: opts.credentials ?? {},
    timeZone: opts.timeZone,
  };
  const result: NormalizeResult = { lines: 0, updates: 0, unreadable: 0 };
  for await (const raw of input) {
    result.lines++;
    const line = raw.trim();
    if (line === '') continue;
    const ctx = {
      accountId: opts.accountId,
      timeZone: opts.timeZone,
      receivedAt: new Date(now()).toISOString(),
    };
    for (const event of opts.dialect.parse(line, false, ctx, account)) {
      if (event.kind === 'update') {
        result.updates++;
        out(JSON.stringify(event.order));
      } else if (event.kind === 'invalid') {
        result.unreadable++;
        err(`line ${result.lines}: ${event.reason}`);
      }
    }
  }
  return result;
}
