/**
 * One frontend connection: its subscriptions, its protocol messages and its send path. A session
 * never skips a message silently: past the buffer limit it is closed with 4008 and the client
 * resumes from its last seq.
 */
import type { WebSocket } from 'ws';
import { checkAccount, type Principal } from '../auth/principal.js';
import type { Hub, Outbound, Subscriber } from '../hub/hub.js';
import type { Order } from '../orders/model.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { textFrame } from './frame.js';
import { createMessageGuard } from './message-guard.js';
import { CloseCode, errorFrame, parseClientMessage } from './protocol.js';
import { pressure, writeFrame } from './writer.js';

interface AccountSubscription extends Subscriber {
  /** The order ids this subscription is limited to; null for the whole account. */
  only: Set<string> | null;
  off: () => void;
}

export type StreamKind = 'account' | 'all' | 'message';
export type DisconnectReason =
  | 'client'
  | 'heartbeat'
  | 'slow_consumer'
  | 'server'
  | 'protocol'
  | 'auth'
  | 'rate_limit';

/** Per-connection bounds (issue "Security"). */
export interface SessionLimits {
  maxSubscriptions: number;
  messagesPerSecond: number;
  messageBurst: number;
}

export interface SessionDeps {
  id: string;
  ws: WebSocket;
  stream: StreamKind;
  principal: Principal;
  clock: Clock;
  limits: SessionLimits;
  hub: Hub;
  orders: (accountId: string) => Order[];
  /** The account's upstream link state, sent after each subscribe. */
  upstreamStatus?: (accountId: string) => { state: string; since: string } | undefined;
  accounts: ReadonlySet<string>;
  bufferLimitBytes: number;
  heartbeatMs: number;
  onClose(session: Session, reason: DisconnectReason): void;
  /** Messages written, per stream: one plain record shared by all sessions (metrics). */
  sent?: Record<StreamKind, number>;
  /** A subscribe asked to resume (since_seq): replayed from history, or sent a snapshot. */
  onResume?(recovered: boolean): void;
}

export interface SubscribeRequest {
  accountId: string;
  orderId?: string;
  sinceSeq?: number;
  epoch?: string;
}

export interface Session {
  readonly id: string;
  readonly stream: StreamKind;
  /** Set false by the heartbeat when it pings, true again by any sign of life. */
  alive: boolean;
  subscribe(req: SubscribeRequest): void;
  /** Closes with a code; the session ends at once (the close handshake may finish later). */
  close(code: number, text: string, reason: DisconnectReason): void;
  terminate(reason: DisconnectReason): void;
  /** A protocol-level ping; the client's pong marks it alive. */
  ping(): void;
}

/** Wraps one accepted WebSocket: greets it, then serves its subscriptions until it closes. */
export function createSession(deps: SessionDeps): Session {
  const { ws, hub } = deps;
  /** Per subscribed account: its hub subscriber, its unsubscribe, and the order ids it's limited to (null: all). */
  const subs = new Map<string, AccountSubscription>();
  let closing = false;
  let protocolError = false;
  /** Accounts plus single orders subscribed: what the cap counts. */
  let subscriptionCount = 0;
  const { principal } = deps;
  let expiry: TimerHandle | undefined;
  /** Closes with 4001 at the token's expiry; timers can't wait past 2^31-1 ms, so long ones re-arm. */
  const armExpiry = (): void => {
    if (principal.expiresAt === null) return;
    const left = principal.expiresAt - deps.clock.now();
    if (left <= 0) {
      session.close(CloseCode.tokenExpired, 'token expired', 'auth');
      return;
    }
    expiry = deps.clock.setTimeout(armExpiry, Math.min(left, 2_147_483_647));
  };

  /** Ends the session once: no more sends, out of the hub, reported to the registry. */
  const finish = (reason: DisconnectReason) => {
    if (closing) return false;
    closing = true;
    deps.clock.clearTimeout(expiry);
    for (const s of subs.values()) s.off();
    subs.clear();
    deps.onClose(session, reason);
    return true;
  };

  /**
   * False (and the session closed with 4008) when the client has fallen too far behind: past the
   * buffer limit before this tick, or past four times it within one tick.
   */
  const writable = (): boolean => {
    if (closing || ws.readyState !== ws.OPEN) return false;
    const { backlog, burst } = pressure(ws);
    if (backlog <= deps.bufferLimitBytes && burst <= 4 * deps.bufferLimitBytes) return true;
    session.close(CloseCode.slowConsumer, 'slow consumer: send buffer over limit', 'slow_consumer');
    return false;
  };

  /** Frames for this session alone (replies, snapshots): serialized here, counted like the rest. */
  const sent = deps.sent ?? { account: 0, all: 0, message: 0 };
  const sendText = (text: string): void => {
    if (!writable()) return;
    writeFrame(ws, textFrame(text));
    sent[deps.stream]++;
  };

  /** Shared messages: the frame built once for every subscriber. */
  const sendShared = (m: Outbound): void => {
    if (!writable()) return;
    writeFrame(ws, m.frame);
    sent[deps.stream]++;
  };

  /** Tells a new subscriber how the account's upstream link is doing now (changes follow live). */
  const sendUpstreamStatus = (accountId: string): void => {
    const status = deps.upstreamStatus?.(accountId);
    if (status) sendText(JSON.stringify({ type: 'upstream_status', account_id: accountId, ...status }));
  };

  const subscribeHub = (accountId: string, only: Set<string> | null): AccountSubscription => {
    const sub: AccountSubscription = {
      only,
      off: () => {},
      deliver(m) {
        if (sub.only !== null && m.orderId !== null && !sub.only.has(m.orderId)) return;
        sendShared(m);
      },
    };
    sub.off = hub.subscribe(accountId, sub);
    return sub;
  };

  const session: Session = {
    id: deps.id,
    stream: deps.stream,
    alive: true,
    subscribe({ accountId, orderId, sinceSeq, epoch }) {
      // The admin scope reads every account; others need orders:read on this one.
      // orders:read, or admin, on an account the token names (or "*").
      const access = checkAccount(principal, 'orders:read', accountId, deps.accounts);
      if (!access.ok) {
        sendText(errorFrame(access.code, access.message));
        return;
      }
      const existing = subs.get(accountId);
      const adds =
        !existing || (existing.only !== null && orderId !== undefined && !existing.only.has(orderId));
      if (adds && subscriptionCount >= deps.limits.maxSubscriptions) {
        sendText(
          errorFrame(
            'too_many_subscriptions',
            `at most ${deps.limits.maxSubscriptions} subscriptions per connection`,
          ),
        );
        return;
      }
      if (adds) subscriptionCount++;
      if (!existing) {
        subs.set(accountId, subscribeHub(accountId, orderId ? new Set([orderId]) : null));
      } else if (existing.only) {
        if (orderId) existing.only.add(orderId);
        else {
          // Single orders become the whole account: one subscription where there were several.
          subscriptionCount -= existing.only.size - (adds ? 0 : 1);
          existing.only = null;
        }
      }
      const wanted = (id: string | null) => !orderId || id === null || id === orderId;
      const replay =
        sinceSeq === undefined ? ({ recovered: false } as const) : hub.replay(accountId, sinceSeq, epoch);
      if (sinceSeq !== undefined) deps.onResume?.(replay.recovered);
      const seq = hub.seq(accountId);
      sendText(
        JSON.stringify({ type: 'subscribed', account_id: accountId, seq, recovered: replay.recovered }),
      );
      if (replay.recovered) {
        for (const m of replay.messages) if (wanted(m.orderId)) sendShared(m);
        sendUpstreamStatus(accountId);
        return;
      }
      const orders = deps.orders(accountId).filter((o) => wanted(o.order_id));
      sendText(JSON.stringify({ type: 'snapshot', account_id: accountId, seq, orders }));
      sendUpstreamStatus(accountId);
    },
    close(code, text, reason) {
      if (finish(reason)) ws.close(code, text);
    },
    terminate(reason) {
      finish(reason);
      ws.terminate();
    },
    ping() {
      if (!closing) ws.ping();
    },
  };

  const guard = createMessageGuard(deps.limits, deps.clock.now);
  const onText = (text: string) => {
    if (text === 'ping') return sendText('pong');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return sendText(parsed.error);
    const m = parsed.message;
    if (m.action === 'unsubscribe') {
      const sub = subs.get(m.account_id);
      if (sub) subscriptionCount -= sub.only === null ? 1 : sub.only.size;
      sub?.off();
      subs.delete(m.account_id);
      return sendText(JSON.stringify({ type: 'unsubscribed', account_id: m.account_id }));
    }
    session.subscribe({
      accountId: m.account_id,
      orderId: m.order_id,
      sinceSeq: m.since_seq,
      epoch: m.epoch,
    });
  };

  ws.on('message', (data, isBinary) => {
    session.alive = true;
    const verdict = guard.admit();
    if (verdict === 'close') return session.close(CloseCode.rateLimited, 'rate limited', 'rate_limit');
    if (verdict === 'warn') {
      return sendText(
        errorFrame(
          'rate_limited',
          `over ${deps.limits.messagesPerSecond} messages/s: slow down or be disconnected`,
        ),
      );
    }
    if (isBinary) return sendText(errorFrame('invalid_message', 'binary frames are not accepted'));
    onText((data as Buffer).toString('utf8'));
  });
  ws.on('pong', () => {
    session.alive = true;
  });
  ws.on('error', () => {
    // A protocol error (an oversized or invalid frame): ws closes the socket itself (1009, 1002).
    protocolError = true;
  });
  ws.on('close', () => finish(protocolError ? 'protocol' : 'client'));
  sendText(
    JSON.stringify({
      type: 'connected',
      session_id: deps.id,
      epoch: hub.epoch,
      heartbeat_ms: deps.heartbeatMs,
    }),
  );
  armExpiry();
  return session;
}
