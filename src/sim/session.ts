/**
 * One stream socket's life on the server: the format's handshake actions applied, protocol pings
 * answered, and the fault rules of a stalled account (nothing in, nothing out, no pong) kept.
 */
import type { RawData, WebSocket } from 'ws';
import type { Faults } from './faults.js';
import type { StreamConn, Streams } from './streams.js';
import type { StreamAction, WireFormat } from './wire.js';

export interface SessionDeps {
  streams: Streams;
  faults: Faults;
  logger: (msg: string) => void;
}

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);

/**
 * Serves an accepted socket with a format. `account` is the account the upgrade named, or null
 * when the handshake names it (Alpaca's auth message).
 */
export function attachSocket(deps: SessionDeps, ws: WebSocket, format: WireFormat, account: string | null) {
  const { streams, faults, logger } = deps;
  const conn: StreamConn = { socket: ws, format, account: null, listening: false };
  let remove = () => {};
  const stalled = () => conn.account !== null && faults.active(conn.account, 'stall');

  function apply(actions: readonly StreamAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') {
        if (!stalled()) ws.send(a.frame);
      } else if (a.kind === 'join') {
        remove();
        conn.account = a.account;
        conn.listening = a.listening;
        remove = streams.add(conn);
        logger(`stream connected: ${a.account} (${format.name})`);
      } else if (a.kind === 'listen') {
        conn.listening = a.on;
      } else {
        ws.close(a.code, a.reason);
      }
    }
  }

  if (account !== null) apply([{ kind: 'join', account, listening: true }]);
  ws.on('message', (data, isBinary) => {
    if (!stalled()) apply(format.onMessage(conn, toBuffer(data), isBinary));
  });
  ws.on('ping', (data) => {
    if (!stalled()) ws.pong(data);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    remove();
    if (conn.account !== null) logger(`stream closed: ${conn.account}`);
  });
}
