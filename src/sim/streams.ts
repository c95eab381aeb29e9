/**
 * The account streams: connected sockets per account and what stream faults do to them. A
 * stalled account's sockets get nothing (frames are lost for them, as on a hung connection);
 * malformed frames go out before the next real frame, in addition to it.
 */
import type { Clock } from '../util/clock.js';
import type { Faults } from './faults.js';
import type { SimOrder } from './order.js';
import type { WireFormat } from './wire.js';

/** The little of a ws WebSocket the sim uses (STYLE.md habit 2). */
export interface StreamSocket {
  readonly readyState: number;
  send(text: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

const OPEN = 1;
/** Close code of a `drop` fault: 1012 Service Restart (RFC 6455 registry), as a broker restart. */
export const DROP_CLOSE_CODE = 1012;

export interface Streams {
  /** Registers a socket; returns its removal. */
  add(account: string, socket: StreamSocket, format: WireFormat): () => void;
  /** Sends an order update to the account's sockets. */
  broadcast(account: string, order: SimOrder): void;
  /** The reply to a client message, or null when the account is stalled or there is none. */
  reply(account: string, format: WireFormat, text: string): string | null;
  /** Closes the account's sockets with DROP_CLOSE_CODE; returns how many. */
  drop(account: string): number;
  connections(account: string): number;
  /** Terminates every socket. */
  closeAll(): void;
}

interface Entry {
  socket: StreamSocket;
  format: WireFormat;
}

/** The socket registry over the fault registry. */
export function createStreams(deps: { clock: Clock; faults: Faults }): Streams {
  const { clock, faults } = deps;
  const byAccount = new Map<string, Set<Entry>>();
  const malformedSent = new Map<string, number>();

  const entries = (account: string) =>
    [...(byAccount.get(account) ?? [])].filter((e) => e.socket.readyState === OPEN);

  function sendMalformed(account: string, open: Entry[]): void {
    const n = faults.pending(account, 'malformed');
    for (let i = 0; i < n && faults.take(account, 'malformed'); i++) {
      const k = malformedSent.get(account) ?? 0;
      malformedSent.set(account, k + 1);
      for (const e of open) e.socket.send(e.format.malformed(account, k));
    }
  }

  return {
    add(account, socket, format) {
      let set = byAccount.get(account);
      if (!set) {
        set = new Set();
        byAccount.set(account, set);
      }
      const entry = { socket, format };
      set.add(entry);
      return () => set.delete(entry);
    },

    broadcast(account, order) {
      const open = entries(account);
      if (open.length === 0 || faults.active(account, 'stall')) return;
      sendMalformed(account, open);
      const timestamp = new Date(clock.now()).toISOString();
      const encoded = new Map<WireFormat, string>();
      for (const e of open) {
        let text = encoded.get(e.format);
        if (text === undefined) {
          text = e.format.encode(account, order, timestamp);
          encoded.set(e.format, text);
        }
        e.socket.send(text);
      }
    },

    reply(account, format, text) {
      if (faults.active(account, 'stall')) return null;
      return format.reply(text);
    },

    drop(account) {
      const open = entries(account);
      for (const e of open) e.socket.close(DROP_CLOSE_CODE, 'sim drop');
      return open.length;
    },

    connections: (account) => entries(account).length,

    closeAll() {
      for (const set of byAccount.values()) for (const e of set) e.socket.terminate();
      byAccount.clear();
    },
  };
}
