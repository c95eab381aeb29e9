/**
 * One HTTP server for the whole sim: the wire formats' REST routes and the control API through
 * Hono, and their streams through ws on the server's 'upgrade' event, where unknown accounts
 * (404) and auth_fail faults (401) are refused with a real HTTP response before any upgrade.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Engine } from './engine.js';
import type { Faults } from './faults.js';
import type { Streams } from './streams.js';
import { errorBody, type SimContext, type WireFormat } from './wire.js';

export interface ServerDeps {
  host: string;
  port: number;
  engine: Engine;
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

const reasons: Record<number, string> = { 401: 'Unauthorized', 404: 'Not Found' };

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function buildApp(deps: ServerDeps): Hono {
  const app = new Hono();
  app.route('/', deps.extra);
  for (const f of deps.formats) app.route('/', f.routes(deps.ctx));
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => c.json(errorBody('internal', err.message), 500));
  return app;
}

/** Starts the server on host:port (0 picks a free port). */
export async function startServer(deps: ServerDeps): Promise<SimServer> {
  const { engine, faults, streams } = deps;
  const app = buildApp(deps);
  const server = createServer(getRequestListener(app.fetch, { overrideGlobalObjects: false }));
  // Protocol pongs are sent by hand so that a stalled account answers no ping of either kind.
  const wss = new WebSocketServer({ noServer: true, autoPong: false });

  function accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    account: string,
    format: WireFormat,
  ): void {
    if (!engine.has(account)) {
      refuse(socket, 404, 'unknown_account', `no such account: ${account}`);
      return;
    }
    if (faults.take(account, 'auth_fail')) {
      refuse(socket, 401, 'unauthorized', 'invalid credentials');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const remove = streams.add(account, ws, format);
      deps.logger(`stream connected: ${account}`);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const answer = streams.reply(account, format, String(data));
        if (answer !== null) ws.send(answer);
      });
      ws.on('ping', (data) => {
        if (!faults.active(account, 'stall')) ws.pong(data);
      });
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        remove();
        deps.logger(`stream closed: ${account}`);
      });
    });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    for (const format of deps.formats) {
      const account = format.streamAccount(path);
      if (account !== null) {
        accept(req, socket, head, account, format);
        return;
      }
    }
    refuse(socket, 404, 'not_found', `no stream at ${path}`);
  });

  server.listen(deps.port, deps.host);
  await once(server, 'listening'); // rejects on a listen 'error' such as EADDRINUSE
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      streams.closeAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
