/**
 * The BASELINE: a naive relay, what most WebSocket relays look like. One upstream connection per
 * account to the same synthetic upstream; every upstream frame is JSON.parse'd, and for each
 * client a frame is built with JSON.stringify and sent. No validation, no normalization, no
 * dedupe, no history, no backpressure. Clients connect to /ws/orders/{account} and get the same
 * envelope as from ordergate (connected, subscribed, snapshot, then order_update with a seq), so
 * the client workers treat both alike.
 *
 * Runs as a forked child: the harness sends {upstream, accounts}; it answers {port, inspector} once every
 * upstream connection is open, and exits when the harness disconnects.
 */
import { createServer } from 'node:http';
import inspector from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

interface Channel {
  seq: number;
  clients: Set<WebSocket>;
}

export interface BaselineStart {
  upstream: string;
  accounts: string[];
}

export interface BaselineReady {
  port: number;
  /** The inspector's WebSocket URL when started with --inspect (for a forced GC). */
  inspector: string | undefined;
}

function linkUpstream(upstream: string, account: string, channel: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${upstream}/advanced/ws/orders/${encodeURIComponent(account)}`, {
      perMessageDeflate: false,
    });
    ws.on('open', () => resolve());
    ws.on('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type !== 'order_update') return;
      const seq = ++channel.seq;
      for (const client of channel.clients) {
        client.send(
          JSON.stringify({
            type: 'order_update',
            account_id: frame.account_id,
            seq,
            data: frame.data,
            timestamp: frame.timestamp,
          }),
        );
      }
    });
  });
}

async function serve({ upstream, accounts }: BaselineStart): Promise<number> {
  const channels = new Map<string, Channel>(accounts.map((a) => [a, { seq: 0, clients: new Set() }]));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    const m = /^\/ws\/orders\/([^/?]+)/.exec(req.url ?? '');
    const channel = m ? channels.get(decodeURIComponent(m[1] as string)) : undefined;
    if (!m || !channel) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const account = decodeURIComponent(m[1] as string);
      channel.clients.add(ws);
      ws.on('close', () => channel.clients.delete(ws));
      ws.on('error', () => ws.terminate());
      ws.send(JSON.stringify({ type: 'connected', session_id: 'baseline' }));
      ws.send(JSON.stringify({ type: 'subscribed', account_id: account, seq: channel.seq }));
      ws.send(JSON.stringify({ type: 'snapshot', account_id: account, seq: channel.seq, orders: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await Promise.all(accounts.map((a) => linkUpstream(upstream, a, channels.get(a) as Channel)));
  return (server.address() as AddressInfo).port;
}

process.once('message', (m) => {
  serve(m as BaselineStart).then(
    (port) => process.send?.({ port, inspector: inspector.url() } satisfies BaselineReady),
    (err) => {
      process.stderr.write(`baseline: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
