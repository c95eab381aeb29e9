/**
 * The fan-out write path. A frame is built once per update (WebSocket.Sender.frame, as
 * socket.io's engine does with compression off) and the same bytes are written to every
 * subscriber's socket. Writes to a socket within one tick are corked on the first write and
 * uncorked together on process.nextTick, so a burst leaves as few TCP segments as it can.
 */
import type { Socket } from 'node:net';
import * as ws from 'ws';
import type { Outbound } from '../hub/hub.js';

// ws exports its Sender (ws/wrapper.mjs) but @types/ws doesn't declare it.
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } };
const frameOptions = { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false } as const;

/** A whole unmasked text frame (header and payload in one buffer) for a text message. */
export function textFrame(text: string): Buffer {
  const list = Sender.frame(Buffer.from(text), frameOptions);
  return list.length === 1 ? (list[0] as Buffer) : Buffer.concat(list);
}

/** The message's frame, built by the first socket that needs it and shared by the rest. */
export function frameOf(m: Outbound): Buffer {
  if (m.wire === undefined) m.wire = textFrame(m.text);
  return m.wire as Buffer;
}

/** The parts of ws's WebSocket the writer reaches into: its socket and its sender. */
interface WsInternals {
  _socket: Socket | null;
  _sender: { sendFrame(list: Buffer[], cb?: () => void): void };
}

const corked = new Set<Socket>();
let flushScheduled = false;

function uncorkAll(): void {
  flushScheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}

/**
 * Bytes the socket holds that the client has not taken, as of the end of the last tick: while a
 * socket is corked for this tick's burst, its own writes are not backlog, so they don't count.
 */
export function backlog(owner: ws.WebSocket): number {
  const socket = (owner as unknown as WsInternals)._socket;
  return socket && corked.has(socket) ? 0 : owner.bufferedAmount;
}

/**
 * Writes a prebuilt frame to an open socket, corking it for the rest of this tick. Callers have
 * checked readyState; with permessage-deflate off, ws's sender never queues, so writing the
 * frame through sendFrame keeps ws's own ordering.
 */
export function writeFrame(socketOwner: ws.WebSocket, frame: Buffer): void {
  const internals = socketOwner as unknown as WsInternals;
  const socket = internals._socket;
  if (!socket) return;
  if (!corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(uncorkAll);
    }
  }
  internals._sender.sendFrame([frame]);
}
