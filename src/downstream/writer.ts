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

/** Bytes written to a socket in this tick, kept on the socket itself; undefined when not corked. */
const BURST = Symbol('ordergate.burst');
type Corkable = Socket & { [BURST]?: number };

/**
 * Sockets corked in this tick: a plain array emptied in place. A Map cleared every tick allocates
 * a new hash table each time; with one, the old generation grew ~1.5 MB per scavenge at 100
 * sockets and 200 frames/s (likely because V8 links an obsolete table to its successor, so a
 * promoted one keeps the later ones alive). With the array, it stays flat.
 */
const corked: Corkable[] = [];
let flushScheduled = false;

function uncorkAll(): void {
  flushScheduled = false;
  for (const s of corked) {
    s[BURST] = undefined;
    s.uncork();
  }
  corked.length = 0;
}

/**
 * How far behind a client is: `backlog`, the bytes it had not taken before this tick, and
 * `burst`, the bytes written to it in this tick (corked, on their way). A slow consumer shows in
 * the first; a client asking for too much at once (many snapshots, a long replay) in the second.
 */
export function pressure(owner: ws.WebSocket): { backlog: number; burst: number } {
  const socket = (owner as unknown as WsInternals)._socket as Corkable | null;
  const burst = socket?.[BURST] ?? 0;
  return { backlog: Math.max(0, owner.bufferedAmount - burst), burst };
}

/**
 * Writes a frame to an open socket, corking it for the rest of this tick. Callers have checked
 * readyState; with permessage-deflate off, ws's sender never queues, so writing the frame through
 * sendFrame keeps ws's own ordering.
 */
export function writeFrame(socketOwner: ws.WebSocket, frame: Buffer): void {
  const internals = socketOwner as unknown as WsInternals;
  const socket = internals._socket as Corkable | null;
  if (!socket) return;
  const written = socket[BURST];
  if (written === undefined) {
    socket.cork();
    corked.push(socket);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(uncorkAll);
    }
  }
  socket[BURST] = (written ?? 0) + frame.length;
  internals._sender.sendFrame([frame]);
}
