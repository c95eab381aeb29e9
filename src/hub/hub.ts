/**
 * The hub: per-account sequence numbers, bounded history and fan-out of serialized messages to
 * subscribers. No sockets in here: a subscriber is anything with deliver(). Each update is
 * serialized once, straight into the WebSocket frame that every subscriber's socket is sent,
 * whatever the number of subscribers (DESIGN.md "Downstream WebSocket API"). History keeps that
 * frame and nothing bigger, so a long history costs the garbage collector little.
 */
import { createFrameArena, type FrameArena, textFrame } from '../downstream/frame.js';
import type { Order } from '../orders/model.js';
import { isoTime } from '../orders/time.js';
import { createHistory, type History } from './history.js';

/** A message ready to go out: the same object reaches every subscriber of its account. */
export interface Outbound {
  readonly accountId: string;
  /** The order it concerns, or null for account-level frames such as upstream_status. */
  readonly orderId: string | null;
  /** Per-account sequence number; 0 for frames outside the sequence. */
  readonly seq: number;
  /** The whole WebSocket text frame (header and JSON payload), the same bytes for everyone. */
  readonly frame: Buffer;
  /** Gateway receive time of the upstream frame, ms; 0 when not an upstream update. */
  readonly receivedAt: number;
}

export interface Subscriber {
  deliver(message: Outbound): void;
}

export type UpstreamStatusFrame = {
  account_id: string;
  state: string;
  since: string;
};

export type Replay = { recovered: true; messages: Outbound[] } | { recovered: false };

export interface Hub {
  readonly epoch: string;
  /** Assigns the next seq, serializes once, records history and fans out. */
  publish(order: Order, receivedAt: number): Outbound;
  /** Fans out an upstream_status frame to the account's subscribers (not sequenced). */
  publishStatus(status: UpstreamStatusFrame): void;
  /** Adds a subscriber to an account; returns its unsubscribe. */
  subscribe(accountId: string, subscriber: Subscriber): () => void;
  /** The account's latest seq (0 before any update). */
  seq(accountId: string): number;
  /** Messages after `sinceSeq` when history still holds all of them and the epoch matches. */
  replay(accountId: string, sinceSeq: number, epoch: string | undefined): Replay;
}

interface Channel {
  seq: number;
  history: History;
  subscribers: Set<Subscriber>;
  /** Where this account's frames are cut from (frame.ts: history pins only its own slabs). */
  frames: FrameArena;
}

export interface HubDeps {
  epoch: string;
  historySize: number;
  now: () => number;
  /** Called once per published update, after it was handed to all `subscribers` (metrics). */
  onFanOut?(message: Outbound, subscribers: number): void;
}

/** A hub with one epoch for this process and `historySize` messages kept per account. */
export function createHub(deps: HubDeps): Hub {
  const channels = new Map<string, Channel>();
  const channel = (accountId: string): Channel => {
    let c = channels.get(accountId);
    if (!c) {
      c = {
        seq: 0,
        history: createHistory(deps.historySize),
        subscribers: new Set(),
        frames: createFrameArena(),
      };
      channels.set(accountId, c);
    }
    return c;
  };
  const fanOut = (c: Channel, message: Outbound) => {
    for (const s of c.subscribers) s.deliver(message);
  };

  return {
    epoch: deps.epoch,
    publish(order, receivedAt) {
      const c = channel(order.account_id);
      const seq = ++c.seq;
      const text = JSON.stringify({
        type: 'order_update',
        account_id: order.account_id,
        seq,
        epoch: deps.epoch,
        data: order,
        timestamp: isoTime(receivedAt),
      });
      const message: Outbound = {
        accountId: order.account_id,
        orderId: order.order_id,
        seq,
        frame: c.frames.frame(text),
        receivedAt,
      };
      c.history.push(seq, message.orderId, message.frame, receivedAt);
      fanOut(c, message);
      deps.onFanOut?.(message, c.subscribers.size);
      return message;
    },
    publishStatus(status) {
      fanOut(channel(status.account_id), {
        accountId: status.account_id,
        orderId: null,
        seq: 0,
        frame: textFrame(JSON.stringify({ type: 'upstream_status', ...status })),
        receivedAt: 0,
      });
    },
    subscribe(accountId, subscriber) {
      const c = channel(accountId);
      c.subscribers.add(subscriber);
      return () => {
        c.subscribers.delete(subscriber);
      };
    },
    seq: (accountId) => channel(accountId).seq,
    replay(accountId, sinceSeq, epoch) {
      const c = channel(accountId);
      if (epoch !== deps.epoch || sinceSeq > c.seq || sinceSeq < 0) return { recovered: false };
      if (sinceSeq === c.seq) return { recovered: true, messages: [] };
      const entries = c.history.after(sinceSeq);
      if (!entries) return { recovered: false };
      return { recovered: true, messages: entries.map((e) => ({ accountId, ...e })) };
    },
  };
}
