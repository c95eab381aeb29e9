/**
 * The synthetic upstream: a `ticker-service` broker that the gateway and the baseline both
 * connect to (WS /advanced/ws/orders/{account}, text ping/pong, REST snapshot at
 * /advanced/orders/{account}). Each account carries one huge working order whose
 * filled_quantity rises by one per frame, so every frame is a new state that the gateway's
 * dedupe lets through while its order book stays one order per account. The send time (the
 * machine-wide monotonic clock, see time.ts) rides in status_message, which the gateway keeps
 * under the same name, as "t=<ms>".
 *
 * It also serves clients directly, at /ws/orders/{account} with the relays' envelope: the FLOOR.
 * No relay sits between upstream and client there, so its latency is what one WebSocket hop with
 * the same fan-out, the same client processes and the same machine costs at best.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { nowMs } from './time.js';

export interface Upstream {
  readonly wsUrl: string;
  readonly restUrl: string;
  /** Open relay sockets of an account. */
  sockets(account: string): number;
  /** Frames sent so far, all accounts. */
  sent(): number;
  /** Open loop: `perSecond` frames in total, round robin over `accounts`, until the stop is called. */
  paced(accounts: string[], perSecond: number): () => void;
  /**
   * Closed loop: keeps at most `window` frames ahead of `deliveredFrames()` (what the clients
   * got, in upstream frames). Call pump() whenever deliveredFrames may have grown.
   */
  saturate(accounts: string[], window: number, deliveredFrames: () => number): { pump(): void; stop(): void };
  close(): Promise<void>;
}

const QUANTITY = 1_000_000_000;
const streamPath = /^\/advanced\/ws\/orders\/([^/?]+)$/;
const directPath = /^\/ws\/orders\/([^/?]+)$/;
const bookPath = /^\/advanced\/orders\/([^/?]+)$/;

function orderOf(account: string, filled: number, sentAt: number, stamp: string) {
  return {
    order_id: `bench-${account}`,
    exchange_order_id: '1100000000000001',
    tradingsymbol: 'NIFTY24DECFUT',
    exchange: 'NFO',
    transaction_type: 'BUY',
    order_type: 'LIMIT',
    product: 'NRML',
    variety: 'regular',
    validity: 'DAY',
    quantity: QUANTITY,
    filled_quantity: filled,
    pending_quantity: QUANTITY - filled,
    price: 24187.3,
    trigger_price: 0,
    average_price: 24187.3,
    status: 'OPEN',
    status_message: `t=${sentAt.toFixed(4)}`,
    tag: 'bench',
    // ISO 8601 UTC, as the bundled sim's ticker-service sends them. (Kite's zoneless local
    // times cost the gateway a time-zone conversion per frame: see BENCHMARKS.md.)
    order_timestamp: '2024-12-02T03:45:00.000Z',
    exchange_update_timestamp: stamp,
  };
}

export async function startUpstream(): Promise<Upstream> {
  const socketsOf = new Map<string, Set<WebSocket>>();
  /** Clients of the floor: served here directly, with no relay in between. */
  const directOf = new Map<string, Set<WebSocket>>();
  const filled = new Map<string, number>();
  let total = 0;

  const send = (account: string) => {
    const n = (filled.get(account) ?? 0) + 1;
    filled.set(account, n);
    total++;
    const sentAt = nowMs();
    const stamp = new Date().toISOString();
    const data = orderOf(account, n, sentAt, stamp);
    const text = JSON.stringify({ type: 'order_update', account_id: account, data, timestamp: stamp });
    for (const ws of socketsOf.get(account) ?? []) ws.send(text);
    const direct = directOf.get(account);
    if (direct?.size) {
      // One encoding for all, as a good relay would; seq is the account's frame count.
      const update = Buffer.from(
        JSON.stringify({ type: 'order_update', account_id: account, seq: n, data, timestamp: stamp }),
      );
      for (const ws of direct) ws.send(update, { binary: false });
    }
  };

  /** Keeps `ws` in the account's set of `map` for as long as it is open. */
  const join = (map: Map<string, Set<WebSocket>>, account: string, ws: WebSocket) => {
    const set = map.get(account) ?? new Set<WebSocket>();
    map.set(account, set);
    set.add(ws);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => set.delete(ws));
  };

  const serveDirect = (ws: WebSocket, account: string) => {
    join(directOf, account, ws);
    const seq = filled.get(account) ?? 0;
    ws.send(JSON.stringify({ type: 'connected', session_id: 'floor' }));
    ws.send(JSON.stringify({ type: 'subscribed', account_id: account, seq }));
    ws.send(JSON.stringify({ type: 'snapshot', account_id: account, seq, orders: [] }));
  };

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server: Server = createServer((req, res) => {
    const m = bookPath.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) {
      res.writeHead(404).end();
      return;
    }
    const account = decodeURIComponent(m[1] as string);
    const n = filled.get(account) ?? 0;
    const orders = n > 0 ? [orderOf(account, n, nowMs(), new Date().toISOString())] : [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ orders }));
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy()); // a client reset must not end the run
    const d = directPath.exec(req.url ?? '');
    if (d) {
      wss.handleUpgrade(req, socket, head, (ws) => serveDirect(ws, decodeURIComponent(d[1] as string)));
      return;
    }
    const m = streamPath.exec(req.url ?? '');
    if (!m) {
      socket.destroy();
      return;
    }
    const account = decodeURIComponent(m[1] as string);
    wss.handleUpgrade(req, socket, head, (ws) => {
      join(socketsOf, account, ws);
      ws.on('message', (data) => {
        if (String(data) === 'ping') ws.send('pong');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    sockets: (account) => socketsOf.get(account)?.size ?? 0,
    sent: () => total,
    paced(accounts, perSecond) {
      const start = nowMs();
      let sent = 0;
      let next = 0;
      let timer: NodeJS.Timeout | undefined;
      const tick = () => {
        const due = Math.floor(((nowMs() - start) * perSecond) / 1000);
        // Open loop: a tick that came late catches up, so a stalled sender shows up as latency.
        for (let i = 0; sent < due && i < 5_000; i++, sent++) {
          send(accounts[next] as string);
          next = (next + 1) % accounts.length;
        }
        timer = setTimeout(tick, 1);
      };
      tick();
      return () => clearTimeout(timer);
    },
    saturate(accounts, window, deliveredFrames) {
      let stopped = false;
      let sent = 0;
      let next = 0;
      const pump = () => {
        if (stopped) return;
        const delivered = deliveredFrames();
        for (; sent - delivered < window; sent++) {
          send(accounts[next] as string);
          next = (next + 1) % accounts.length;
        }
      };
      // A fallback in case the clients' counts stop arriving (they normally drive pump()).
      const timer = setInterval(pump, 20);
      pump();
      return {
        pump,
        stop() {
          stopped = true;
          clearInterval(timer);
        },
      };
    },
    async close() {
      for (const set of [...socketsOf.values(), ...directOf.values()]) for (const ws of set) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
