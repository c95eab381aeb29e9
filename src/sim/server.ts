/**
 * One HTTP server for the whole sim: the wire format's REST routes and the control API through
 * Hono, and its stream through ws on the server's 'upgrade' event, where the format may refuse
 * (unknown account, bad credentials, auth_fail) with a real HTTP response before any upgrade.
 * A format with a heartbeat gets one interval on the injected clock for all its sockets.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Faults } from './faults.js';
import { attachSocket } from './session.js';
import type { Streams } from './streams.js';
import { errorBody, type SimContext, type WireFormat } from './wire.js';

export interface ServerDeps {
  host: string;
  port: number;
  faults: Faults;
  streams: Streams;
  formats: readonly WireFormat[];
  /** Routes served next to the formats' (the control API). */
  extra: Hono;
  ctx: SimContext;
  logger: (msg: string) => void;
}

export interface SimServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Waits for rest_latency faults on the injected clock; flush() releases every waiter. */
export function createRestDelay(clock: Clock, faults: Faults) {
  const waiting = new Map<TimerHandle, () => void>();
  return {
    async delay(account: string): Promise<void> {
      const f = faults.take(account, 'rest_latency');
      if (!f || f.latencyMs <= 0) return;
      await new Promise<void>((resolve) => {
        const handle = clock.setTimeout(() => {
          waiting.delete(handle);
          resolve();
        }, f.latencyMs);
        waiting.set(handle, resolve);
      });
    },
    flush(): void {
      for (const [handle, resolve] of waiting) {
        clock.clearTimeout(handle);
        resolve();
      }
      waiting.clear();
    },
  };
}

const reasons: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

/** Answers an upgrade request with a plain HTTP error (a JSON body) and closes the socket. */
function refuse(socket: Duplex, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function buildApp(deps: ServerDeps): Hono {
  const app = new Hono();
  app.route('/', deps.extra);
  for (const f of deps.formats) app.route('/', f.routes());
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => c.json(errorBody('internal', err.message), 500));
  return app;
}

/** Runs each format's heartbeat on the clock; returns the stop. */
function startHeartbeats(deps: ServerDeps): () => void {
  const { clock } = deps.ctx;
  const handles = deps.formats.flatMap((format) => {
    const hb = format.heartbeat;
    if (!hb) return [];
    let tick = 0;
    return [clock.setInterval(() => deps.streams.beat(format, hb.frames(++tick)), hb.everyMs)];
  });
  return () => {
    for (const h of handles) clock.clearInterval(h);
  };
}

/** Starts the server on host:port (0 picks a free port). */
export async function startServer(deps: ServerDeps): Promise<SimServer> {
  const { faults, streams, logger } = deps;
  const app = buildApp(deps);
  const server = createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
  // Protocol pongs are sent by hand so that a stalled account answers no ping of either kind.
  const wss = new WebSocketServer({ noServer: true, autoPong: false });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://sim');
    for (const format of deps.formats) {
      const answer = format.upgrade(url);
      if (answer === null) continue;
      if (answer.kind === 'refuse') {
        refuse(socket, answer.status, answer.body);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) =>
        attachSocket({ streams, faults, logger }, ws, format, answer.account),
      );
      return;
    }
    refuse(socket, 404, errorBody('not_found', `no stream at ${url.pathname}`));
  });

  server.listen(deps.port, deps.host);
  await once(server, 'listening'); // rejects on a listen 'error' such as EADDRINUSE
  const stopHeartbeats = startHeartbeats(deps);
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      stopHeartbeats();
      streams.closeAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
