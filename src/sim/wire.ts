/**
 * What a wire format is: how one broker dialect frames the engine's book on the stream and over
 * REST. The engine, faults and sockets are shared; a format only reads and writes bytes.
 */
import type { Hono } from 'hono';
import type { Clock } from '../util/clock.js';
import type { Engine } from './engine.js';
import type { Faults } from './faults.js';
import type { SimOrder } from './order.js';

/** What routes see of the sim. */
export interface SimContext {
  engine: Engine;
  faults: Faults;
  clock: Clock;
  /** Waits out an active rest_latency fault of the account (consuming one occurrence). */
  restDelay(account: string): Promise<void>;
  /** A fresh batch id. */
  nextBatchId(): string;
}

export interface WireFormat {
  readonly name: string;
  /** The REST routes of this format, mounted at the server's root. */
  routes(ctx: SimContext): Hono;
  /** The account an upgrade path asks for; null when the path is not this format's stream. */
  streamAccount(pathname: string): string | null;
  /** One order update as a text frame. */
  encode(account: string, order: SimOrder, timestamp: string): string;
  /** The n-th malformed frame (n counts up per account): a mix of the ways a frame goes wrong. */
  malformed(account: string, n: number): string;
  /** The answer to a client's text message (a heartbeat), or null for none. */
  reply(text: string): string | null;
}

/** JSON error body in the shape every route uses. */
export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** Parses a JSON body, or returns null when it is not JSON. */
export async function readJson(req: { text(): Promise<string> }): Promise<{ value: unknown } | null> {
  const text = await req.text();
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

/** The first zod issue as one line, for 400 messages. */
export function firstIssue(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  const i = error.issues[0];
  return i ? `${i.path.map(String).join('.') || '(body)'}: ${i.message}` : 'invalid body';
}
