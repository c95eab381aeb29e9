/**
 * What a wire format is: how one broker dialect frames the engine's book on the stream and over
 * REST, and how its stream handshake goes. The engine, faults and sockets are shared; a format
 * reads and writes bytes and says what to do with a socket (StreamAction), never touches one.
 */
import type { Hono } from 'hono';
import type { Clock } from '../util/clock.js';
import type { Engine, OrderChange } from './engine.js';
import type { Faults } from './faults.js';
import type { SimOrder } from './order.js';

/** What routes and formats see of the sim. */
export interface SimContext {
  engine: Engine;
  faults: Faults;
  clock: Clock;
  /** Waits out an active rest_latency fault of the account (consuming one occurrence). */
  restDelay(account: string): Promise<void>;
  /** A fresh batch id. */
  nextBatchId(): string;
}

/** One WebSocket message: a string goes out as a text frame, a Buffer as a binary frame. */
export type Frame = string | Buffer;

/** The answer to an upgrade request on a format's stream path. */
export type Upgrade =
  /** Refused with a plain HTTP response, before any upgrade. */
  | { kind: 'refuse'; status: number; body: unknown }
  /** Accepted; `account` null when the account is named later, in the handshake. */
  | { kind: 'accept'; account: string | null };

/** What the server does for a format after a client message (applied in order). */
export type StreamAction =
  | { kind: 'send'; frame: Frame }
  /** The socket now belongs to the account (authenticated); `listening` starts order updates. */
  | { kind: 'join'; account: string; listening: boolean }
  | { kind: 'listen'; on: boolean }
  | { kind: 'close'; code: number; reason: string };

/** A stream socket's handshake state, as a format reads it. */
export interface StreamSession {
  readonly account: string | null;
  readonly listening: boolean;
}

export interface WireFormat {
  readonly name: string;
  /** The REST routes of this format, mounted at the server's root. */
  routes(): Hono;
  /** Decides an upgrade from its URL (path and query); null when the path is not this format's. */
  upgrade(url: URL): Upgrade | null;
  /** Handles one client message on a stream socket. */
  onMessage(session: StreamSession, data: Buffer, isBinary: boolean): StreamAction[];
  /** One order change as a frame, or null when this broker sends nothing for it. */
  encode(account: string, order: SimOrder, change: OrderChange, timestamp: string): Frame | null;
  /** The n-th malformed frame (n counts up per account): a mix of the ways a frame goes wrong. */
  malformed(account: string, n: number): Frame;
  /** Frames the server sends unasked every `everyMs` (tick counts from 1), such as Kite's heartbeat. */
  readonly heartbeat?: { everyMs: number; frames(tick: number): Frame[] };
}

/** JSON error body in the shape the ticker-service routes and the control API use. */
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

/** Parses a client's stream message as JSON, or null. */
export function parseMessage(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
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
