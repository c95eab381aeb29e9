/**
 * A scripted fake `ticker-service` broker for link tests: the test decides what the snapshot
 * holds, which frames go out, whether upgrades are refused and whether pings are answered.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface RawOrder {
  order_id: string;
  tradingsymbol: string;
  transaction_type: 'BUY' | 'SELL';
  status: string;
  quantity: number;
  filled_quantity: number;
  order_type?: string;
  exchange?: string;
  exchange_update_timestamp?: string;
  [k: string]: unknown;
}

export interface FakeBroker {
  url: string;
  wsUrl: string;
  /** The snapshot GET answers with, per account. */
  book: Map<string, RawOrder[]>;
  sockets: Set<WebSocket>;
  /** Upgrade requests seen, with their headers. */
  upgrades: IncomingMessage[];
  snapshotCalls: number;
  /** When set, the next upgrades are answered with this status instead. */
  refuseWith: number | null;
  /** When set, upgrades whose Authorization header differs are refused with 401. */
  requireAuthorization: string | null;
  /** When false, `ping` gets no `pong`. */
  answerPings: boolean;
  /** When set, snapshot requests answer this status. */
  snapshotStatus: number;
  pingsSeen: number;
  send(accountId: string, order: RawOrder): void;
  sendRaw(text: string): void;
  dropAll(): void;
  nextConnection(): Promise<WebSocket>;
  close(): Promise<void>;
}

/** A resting LIMIT order in Kite's vocabulary, as the fake broker sends it; patch what a test needs. */
export const rawOrder = (id: string, patch: Partial<RawOrder> = {}): RawOrder => ({
  order_id: id,
  tradingsymbol: 'INFY',
  exchange: 'NSE',
  transaction_type: 'BUY',
  order_type: 'LIMIT',
  status: 'OPEN',
  quantity: 10,
  filled_quantity: 0,
  price: 1500,
  exchange_update_timestamp: '2026-11-22T09:15:00.000Z',
  ...patch,
});

export function frame(accountId: string, order: RawOrder): string {
  return JSON.stringify({
    type: 'order_update',
    account_id: accountId,
    data: order,
    timestamp: new Date().toISOString(),
  });
}

export async function startFakeBroker(): Promise<FakeBroker> {
  const wss = new WebSocketServer({ noServer: true });
  const waiters: ((ws: WebSocket) => void)[] = [];
  const broker: FakeBroker = {
    url: '',
    wsUrl: '',
    book: new Map(),
    sockets: new Set(),
    upgrades: [],
    snapshotCalls: 0,
    refuseWith: null,
    requireAuthorization: null,
    answerPings: true,
    snapshotStatus: 200,
    pingsSeen: 0,
    send(accountId, order) {
      for (const ws of broker.sockets) ws.send(frame(accountId, order));
    },
    sendRaw(text) {
      for (const ws of broker.sockets) ws.send(text);
    },
    dropAll() {
      for (const ws of broker.sockets) ws.terminate();
    },
    nextConnection: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      for (const ws of broker.sockets) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((req, res) => {
    const m = /^\/advanced\/orders\/([^/?]+)/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      broker.snapshotCalls++;
      res.writeHead(broker.snapshotStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ orders: broker.book.get(decodeURIComponent(m[1] as string)) ?? [] }));
      return;
    }
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    // A client may reset the connection after a refusal; that must not crash the test process.
    socket.on('error', () => socket.destroy());
    broker.upgrades.push(req);
    const refuse =
      broker.refuseWith ??
      (broker.requireAuthorization !== null && req.headers.authorization !== broker.requireAuthorization
        ? 401
        : null);
    if (refuse !== null) {
      socket.end(`HTTP/1.1 ${refuse} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      broker.sockets.add(ws);
      ws.on('close', () => broker.sockets.delete(ws));
      ws.on('message', (data) => {
        if (String(data) !== 'ping') return;
        broker.pingsSeen++;
        if (broker.answerPings) ws.send('pong');
      });
      for (const w of waiters.splice(0)) w(ws);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  broker.url = `http://127.0.0.1:${port}`;
  broker.wsUrl = `ws://127.0.0.1:${port}`;
  return broker;
}
