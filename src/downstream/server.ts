/**
 * The downstream WebSocket server: routes upgrades to sessions, auto-subscribes by path, and
 * runs one heartbeat sweep for all sessions (not a timer per connection).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import type { Hub } from '../hub/hub.js';
import type { Order } from '../orders/model.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { CloseCode } from './protocol.js';
import { createSession, type DisconnectReason, type Session, type StreamKind } from './session.js';

export interface DownstreamDeps {
  hub: Hub;
  orders: (accountId: string) => Order[];
  accounts: readonly string[];
  clock: Clock;
  log: Logger;
  newId: () => string;
  settings: { heartbeatMs: number; bufferLimitBytes: number; maxPayloadBytes: number };
  onDisconnect?(stream: StreamKind, reason: DisconnectReason): void;
}

export interface Downstream {
  /** Takes an HTTP upgrade if its path is one of ours; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  clientCounts(): Record<StreamKind, number>;
  /** Closes every client with 1001 and stops the sweep. */
  close(): Promise<void>;
}

type Route = { stream: StreamKind; accountId?: string };

function route(pathname: string): Route | null {
  if (pathname === '/ws') return { stream: 'message' };
  if (pathname === '/ws/orders') return { stream: 'all' };
  const m = /^\/ws\/orders\/([^/]+)$/.exec(pathname);
  return m ? { stream: 'account', accountId: decodeURIComponent(m[1] as string) } : null;
}

function optionalInt(v: string | null): number | undefined {
  if (v === null || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

export function createDownstream(deps: DownstreamDeps): Downstream {
  const { settings } = deps;
  const accounts = new Set(deps.accounts);
  // closeTimeout is a ws server option that @types/ws doesn't list yet.
  const options: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    // A slow consumer can't read our close frame either: don't hold its buffers for long.
    closeTimeout: 5_000,
    maxPayload: settings.maxPayloadBytes,
  };
  const wss = new WebSocketServer(options);
  const sessions = new Set<Session>();

  const sweep = deps.clock.setInterval(() => {
    for (const s of sessions) {
      if (!s.alive) {
        s.terminate('heartbeat');
        continue;
      }
      s.alive = false;
      s.ping();
    }
  }, settings.heartbeatMs);

  function start(ws: WebSocket, r: Route, url: URL): void {
    const session = createSession({
      id: deps.newId(),
      ws,
      stream: r.stream,
      hub: deps.hub,
      orders: deps.orders,
      accounts,
      bufferLimitBytes: settings.bufferLimitBytes,
      heartbeatMs: settings.heartbeatMs,
      onClose(s, reason) {
        sessions.delete(s);
        deps.onDisconnect?.(s.stream, reason);
      },
    });
    sessions.add(session);
    const sinceSeq = optionalInt(url.searchParams.get('since_seq'));
    const epoch = url.searchParams.get('epoch') ?? undefined;
    if (r.stream === 'account' && r.accountId !== undefined) {
      if (!accounts.has(r.accountId)) {
        session.subscribe({ accountId: r.accountId });
        session.close(CloseCode.unknownAccount, 'unknown account', 'protocol');
        return;
      }
      session.subscribe({ accountId: r.accountId, sinceSeq, epoch });
    }
    if (r.stream === 'all') for (const a of accounts) session.subscribe({ accountId: a });
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const r = route(url.pathname);
      if (!r) return false;
      wss.handleUpgrade(req, socket, head, (ws) => start(ws, r, url));
      return true;
    },
    clientCounts() {
      const counts: Record<StreamKind, number> = { account: 0, all: 0, message: 0 };
      for (const s of sessions) counts[s.stream]++;
      return counts;
    },
    async close() {
      deps.clock.clearInterval(sweep);
      const all = [...sessions];
      for (const s of all) s.close(CloseCode.goingAway, 'server shutting down', 'server');
    },
  };
}
