/**
 * The account streams: connected sockets per account and what stream faults do to them. A
 * stalled account's sockets get nothing (frames are lost for them, as on a hung connection);
 * malformed frames go out before the next real frame, in addition to it. Only sockets that
 * finished their handshake are here, and only listening ones get order updates.
 */
import type { OrderChange } from './engine.js';
import type { Faults } from './faults.js';
import type { SimOrder } from './order.js';
import type { Frame, StreamSession, WireFormat } from './wire.js';

/** The little of a ws WebSocket the sim uses (STYLE.md habit 2). */
export interface StreamSocket {
  readonly readyState: number;
  send(data: Frame): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/** One stream socket and its handshake state. */
export interface StreamConn extends StreamSession {
  readonly socket: StreamSocket;
  readonly format: WireFormat;
  account: string | null;
  listening: boolean;
}

const OPEN = 1;
/** Close code of a `drop` fault: 1012 Service Restart (RFC 6455 registry), as a broker restart. */
export const DROP_CLOSE_CODE = 1012;

export interface Streams {
  /** Registers a connection under its (set) account; returns its removal. */
  add(conn: StreamConn): () => void;
  /** Sends an order change to the account's listening sockets. */
  broadcast(account: string, order: SimOrder, change: OrderChange, timestamp: string): void;
  /** Sends unasked frames (heartbeats) to every socket of the format whose account isn't stalled. */
  beat(format: WireFormat, frames: readonly Frame[]): void;
  /** Closes the account's sockets with DROP_CLOSE_CODE; returns how many. */
  drop(account: string): number;
  connections(account: string): number;
  /** Terminates every socket. */
  closeAll(): void;
}

/** The socket registry over the fault registry. */
export function createStreams(deps: { faults: Faults }): Streams {
  const { faults } = deps;
  const byAccount = new Map<string, Set<StreamConn>>();
  const malformedSent = new Map<string, number>();

  const open = (account: string) =>
    [...(byAccount.get(account) ?? [])].filter((c) => c.socket.readyState === OPEN);

  function sendMalformed(account: string, conns: StreamConn[]): void {
    const n = faults.pending(account, 'malformed');
    for (let i = 0; i < n && faults.take(account, 'malformed'); i++) {
      const k = malformedSent.get(account) ?? 0;
      malformedSent.set(account, k + 1);
      for (const c of conns) c.socket.send(c.format.malformed(account, k));
    }
  }

  return {
    add(conn) {
      const account = conn.account;
      if (account === null) throw new Error('a stream joins an account before it is added');
      let set = byAccount.get(account);
      if (!set) {
        set = new Set();
        byAccount.set(account, set);
      }
      set.add(conn);
      return () => set.delete(conn);
    },

    broadcast(account, order, change, timestamp) {
      const conns = open(account).filter((c) => c.listening);
      if (conns.length === 0 || faults.active(account, 'stall')) return;
      sendMalformed(account, conns);
      const encoded = new Map<WireFormat, Frame | null>();
      for (const c of conns) {
        if (!encoded.has(c.format)) encoded.set(c.format, c.format.encode(account, order, change, timestamp));
        const frame = encoded.get(c.format);
        if (frame != null) c.socket.send(frame);
      }
    },

    beat(format, frames) {
      for (const [account, set] of byAccount) {
        if (set.size === 0 || faults.active(account, 'stall')) continue;
        for (const c of set) {
          if (c.format !== format || c.socket.readyState !== OPEN) continue;
          for (const f of frames) c.socket.send(f);
        }
      }
    },

    drop(account) {
      const conns = open(account);
      for (const c of conns) c.socket.close(DROP_CLOSE_CODE, 'sim drop');
      return conns.length;
    },

    connections: (account) => open(account).length,

    closeAll() {
      for (const set of byAccount.values()) for (const c of set) c.socket.terminate();
      byAccount.clear();
    },
  };
}
