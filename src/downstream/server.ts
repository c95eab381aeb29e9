/**
 * The downstream WebSocket server: admits upgrades (origin, token, path, caps; admission.ts),
 * routes them to sessions, auto-subscribes by path, and runs the heartbeat (heartbeat.ts: one
 * timer for all sessions, their pings spread across the interval).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import type { Verifier } from '../auth/jwt.js';
import { type Principal, visibleAccounts } from '../auth/principal.js';
import type { Hub } from '../hub/hub.js';
import type { Order } from '../orders/model.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { admit, type Route, refuse } from './admission.js';
import { createHeartbeat } from './heartbeat.js';
import { CloseCode } from './protocol.js';
import {
  createSession,
  type DisconnectReason,
  type Session,
  type SessionLimits,
  type StreamKind,
} from './session.js';

export interface DownstreamDeps {
  hub: Hub;
  orders: (accountId: string) => Order[];
  /** The account's upstream link state, sent to each new subscriber. */
  upstreamStatus?: (accountId: string) => { state: string; since: string } | undefined;
  accounts: readonly string[];
  clock: Clock;
  log: Logger;
  newId: () => string;
  /** Verifies client tokens; null admits everyone as the anonymous principal. */
  verifier: Verifier | null;
  settings: {
    heartbeatMs: number;
    bufferLimitBytes: number;
    maxPayloadBytes: number;
    origins: readonly string[];
    maxConnectionsPerSubject: number;
  } & SessionLimits;
  onDisconnect?(stream: StreamKind, reason: DisconnectReason): void;
  /** A subscribe asked to resume (since_seq): replayed from history, or sent a snapshot. */
  onResume?(recovered: boolean): void;
}

export interface Downstream {
  /** Takes an HTTP upgrade if its path is one of ours; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  clientCounts(): Record<StreamKind, number>;
  /** Messages written to clients so far, per stream. */
  messagesSent(): Record<StreamKind, number>;
  /** Closes every client with 1001 and stops the heartbeat. */
  close(): Promise<void>;
}

function route(pathname: string): Route | null {
  if (pathname === '/ws') return { stream: 'message' };
  if (pathname === '/ws/orders') return { stream: 'all' };
  const m = /^\/ws\/orders\/([^/]+)$/.exec(pathname);
  if (!m) return null;
  try {
    return { stream: 'account', accountId: decodeURIComponent(m[1] as string) };
  } catch {
    return { stream: 'account', accountId: m[1] as string };
  }
}

function optionalInt(v: string | null): number | undefined {
  if (v === null || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

/** The WebSocket side of the gateway, to be fed upgrades by the HTTP server. */
export function createDownstream(deps: DownstreamDeps): Downstream {
  const { settings } = deps;
  const accounts = new Set(deps.accounts);
  const origins = new Set(settings.origins);
  const perSubject = new Map<string, number>();
  // closeTimeout is a ws server option that @types/ws doesn't list yet.
  const options: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    // A slow consumer can't read our close frame either: don't hold its buffers for long.
    closeTimeout: 5_000,
    maxPayload: settings.maxPayloadBytes,
    // A browser that sent its token as the subprotocol pair `bearer, <token>` gets `bearer` back.
    handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
  };
  const wss = new WebSocketServer(options);
  const sessions = new Set<Session>();
  const sent: Record<StreamKind, number> = { account: 0, all: 0, message: 0 };

  const heartbeat = createHeartbeat<Session>(deps.clock, settings.heartbeatMs);

  function start(ws: WebSocket, r: Route, url: URL, principal: Principal): void {
    perSubject.set(principal.sub, (perSubject.get(principal.sub) ?? 0) + 1);
    let leaveHeartbeat: () => void = () => {};
    let ended = false;
    const session = createSession({
      id: deps.newId(),
      ws,
      stream: r.stream,
      principal,
      hub: deps.hub,
      orders: deps.orders,
      upstreamStatus: deps.upstreamStatus,
      accounts,
      clock: deps.clock,
      limits: settings,
      bufferLimitBytes: settings.bufferLimitBytes,
      heartbeatMs: settings.heartbeatMs,
      sent,
      onResume: deps.onResume,
      onClose(s, reason) {
        ended = true;
        sessions.delete(s);
        leaveHeartbeat();
        const left = (perSubject.get(principal.sub) ?? 1) - 1;
        if (left > 0) perSubject.set(principal.sub, left);
        else perSubject.delete(principal.sub);
        deps.onDisconnect?.(s.stream, reason);
      },
    });
    // A session can end while it starts (its token expired since the upgrade was admitted):
    // then it has already been counted out and must not be tracked.
    if (ended) return;
    sessions.add(session);
    leaveHeartbeat = heartbeat.add(session);
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
    if (r.stream === 'all')
      for (const a of visibleAccounts(principal, deps.accounts)) session.subscribe({ accountId: a });
  }

  const admission = {
    verifier: deps.verifier,
    origins,
    accounts,
    connectionsOf: (sub: string) => perSubject.get(sub) ?? 0,
    maxConnectionsPerSubject: settings.maxConnectionsPerSubject,
  };

  return {
    handleUpgrade(req, socket, head) {
      // Node's HTTP server drops its own socket error handler on upgrade: without this, a client
      // resetting the connection (even right after a refusal) would be an uncaught exception.
      socket.on('error', () => socket.destroy());
      const url = URL.canParse(req.url ?? '/', 'http://localhost')
        ? new URL(req.url ?? '/', 'http://localhost')
        : null;
      if (!url) {
        refuse(socket, 400, 'malformed request target');
        return true;
      }
      const r = route(url.pathname);
      if (!r) return false;
      void admit(admission, req, url, r).then((decision) => {
        if (!decision.ok) {
          deps.log.debug(
            { path: url.pathname, status: decision.status, reason: decision.message },
            'upgrade refused',
          );
          // Counted with the disconnects: a refused client is one that didn't get to stay.
          deps.onDisconnect?.(r.stream, decision.status === 429 ? 'rate_limit' : 'auth');
          refuse(socket, decision.status, decision.message);
          return;
        }
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => start(ws, r, url, decision.principal));
      });
      return true;
    },
    clientCounts() {
      const counts: Record<StreamKind, number> = { account: 0, all: 0, message: 0 };
      for (const s of sessions) counts[s.stream]++;
      return counts;
    },
    messagesSent: () => ({ ...sent }),
    async close() {
      heartbeat.stop();
      const all = [...sessions];
      for (const s of all) s.close(CloseCode.goingAway, 'server shutting down', 'server');
    },
  };
}
