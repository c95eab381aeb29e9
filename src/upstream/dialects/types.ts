/**
 * What a broker dialect is: how to connect, how to read a frame, how to fetch the book
 * (DESIGN.md "Upstream"). Dialects are pure adapters; the link owns sockets, timers and state.
 */
import type { KiteLeg, NormalizeContext } from '../../orders/kite-vocabulary.js';
import type { Order } from '../../orders/model.js';
import type { RestClient } from '../rest.js';

/** One thing a frame said. A frame yields zero or more of these. */
export type UpstreamEvent =
  | { kind: 'update'; order: Order }
  /** A pong or a broker heartbeat: proof of life, nothing else. */
  | { kind: 'heartbeat' }
  /** Handshake or informational control frame; `ready` marks the end of the handshake. */
  | { kind: 'control'; ready?: boolean; message?: string }
  /** Handshake step: text the link must send back now (such as Alpaca's listen after auth). */
  | { kind: 'reply'; text: string }
  | { kind: 'auth_failed'; reason: string }
  | { kind: 'invalid'; reason: string };

/** An account as a dialect sees it: endpoints, resolved credentials and time zone. */
export interface DialectAccount {
  id: string;
  wsUrl: string;
  restUrl: string;
  credentials: Readonly<Record<string, string>>;
  timeZone: string;
}

export interface Dialect {
  readonly name: string;
  /** Time zone for zoneless broker timestamps when the account sets none. */
  readonly defaultTimeZone: string;
  /** How the link proves the socket alive: a text frame, or WebSocket protocol pings. */
  readonly ping: { kind: 'text'; text: string } | { kind: 'protocol' };
  /** The upgrade request: URL and headers (credentials go here, never in logs). */
  connectRequest(account: DialectAccount): { url: string; headers: Record<string, string> };
  /**
   * Called when the socket opens, with a way to send text. Returns true when the link is live at
   * once, false when it must wait for a `control` event with `ready`.
   */
  onOpen(account: DialectAccount, send: (text: string) => void): boolean;
  /**
   * Reads one WebSocket message. Never throws: what it can't read is an `invalid` event. `account`
   * gives dialects that verify frames (Kite's checksum) their secret; without it they don't verify.
   */
  parse(
    data: Buffer | string,
    isBinary: boolean,
    ctx: NormalizeContext,
    account?: DialectAccount,
  ): UpstreamEvent[];
  /** Fetches the broker's order book, normalized. Throws GatewayError when it can't. */
  fetchSnapshot(rest: RestClient, account: DialectAccount, ctx: NormalizeContext): Promise<Order[]>;
  /** Order entry, where the gateway can place orders through this dialect. */
  readonly orders?: OrderApi;
}

/** A placement's answer. A placement with no answer throws GatewayError upstream_timeout instead. */
export type PlaceOutcome = { kind: 'placed'; orderId: string } | { kind: 'rejected'; message: string };

/** A cancel's answer: done, accepted for processing, or refused. */
export type CancelOutcome =
  | { kind: 'cancelled' }
  | { kind: 'requested' }
  | { kind: 'not_cancellable'; message: string }
  | { kind: 'not_found'; message: string };

/** One leg of a native batch as the broker reports it. */
export interface NativeLegResult {
  index: number;
  status: 'placed' | 'rejected' | 'cancelled' | 'filled';
  order_id: string | null;
  error: string | null;
}

/**
 * Placing and cancelling orders (DESIGN.md "Batch orders"). Every call may throw GatewayError:
 * upstream_unavailable when the request never reached the broker, upstream_timeout when it may
 * have and no answer came, upstream_error or unauthorized otherwise.
 */
export interface OrderApi {
  /**
   * True when a successful placement only means "received": the broker may still reject the
   * order a moment later, as a status update (Kite's RMS rejections). The executor then waits
   * for each leg's first real state before calling it placed.
   */
  readonly rejectsLater?: boolean;
  /** Places one leg; `clientId` tags it so that it can be found again (Kite `tag`, Alpaca client_order_id). */
  place(
    rest: RestClient,
    account: DialectAccount,
    leg: KiteLeg,
    clientId: string,
    timeoutMs: number,
  ): Promise<PlaceOutcome>;
  cancel(
    rest: RestClient,
    account: DialectAccount,
    orderId: string,
    timeoutMs: number,
  ): Promise<CancelOutcome>;
  /** The broker's current view of the order tagged `clientId`, or null when the broker has none. */
  findByClientId(
    rest: RestClient,
    account: DialectAccount,
    clientId: string,
    ctx: NormalizeContext,
  ): Promise<Order | null>;
  /** The broker's own atomic batch, where it has one. */
  batch?(
    rest: RestClient,
    account: DialectAccount,
    legs: { leg: KiteLeg; clientId: string }[],
    rollbackOnFailure: boolean,
    timeoutMs: number,
  ): Promise<NativeLegResult[]>;
}
