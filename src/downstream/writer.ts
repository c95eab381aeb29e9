/**
 * The fan-out write path. A frame is built once per update (frame.ts: the bytes of ws's
 * Sender.frame, as socket.io's engine does with compression off) and the same bytes are written
 * to every subscriber's socket. Writes to a socket within one tick are corked on the first write
 * and uncorked together on process.nextTick, so a burst leaves as few TCP segments as it can.
 */
import type { Socket } from 'node:net';
import type * as ws from 'ws';

/** The parts of ws's WebSocket the writer reaches into: its socket and its sender. */
interface WsInternals {
  _socket: Socket | null;
  _sender: { sendFrame(list: Buffer[], cb?: () => void): void };
}

/** Sockets corked in this tick, with the bytes written to each since. */
const corked = new Map<Socket, number>();
let flushScheduled = false;

function uncorkAll(): void {
  flushScheduled = false;
  for (const s of corked.keys()) s.uncork();
  corked.clear();
}

/**
 * How far behind a client is: `backlog`, the bytes it had not taken before this tick, and
 * `burst`, the bytes written to it in this tick (corked, on their way). A slow consumer shows in
 * the first; a client asking for too much at once (many snapshots, a long replay) in the second.
 */
export function pressure(owner: ws.WebSocket): { backlog: number; burst: number } {
  const socket = (owner as unknown as WsInternals)._socket;
  const burst = socket ? (corked.get(socket) ?? 0) : 0;
  return { backlog: Math.max(0, owner.bufferedAmount - burst), burst };
}

/**
 * Writes a frame to an open socket, corking it for the rest of this tick. Callers have checked
 * readyState; with permessage-deflate off, ws's sender never queues, so writing the frame through
 * sendFrame keeps ws's own ordering.
 */
export function writeFrame(socketOwner: ws.WebSocket, frame: Buffer): void {
  const internals = socketOwner as unknown as WsInternals;
  const socket = internals._socket;
  if (!socket) return;
  const written = corked.get(socket);
  if (written === undefined) {
    socket.cork();
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(uncorkAll);
    }
  }
  corked.set(socket, (written ?? 0) + frame.length);
  internals._sender.sendFrame([frame]);
}
