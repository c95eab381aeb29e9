/**
 * The fan-out hot path: one frame per update shared by every subscriber, per-account order kept,
 * writes corked within a tick and always flushed, and one client leaving mid-burst harming none.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { createFrameArena, textFrame } from '../src/downstream/frame.js';
import { writeFrame } from '../src/downstream/writer.js';
import { type FakeBroker, type RawOrder, startFakeBroker } from './helpers/fake-broker.js';
import { type StartedGateway, startGateway } from './helpers/start-gateway.js';
import { waitFor } from './helpers/wait.js';

let broker: FakeBroker;
let gw: StartedGateway;

const order = (id: string, filled = 0): RawOrder => ({
  order_id: id,
  tradingsymbol: 'INFY',
  transaction_type: 'BUY',
  status: filled === 10 ? 'COMPLETE' : 'OPEN',
  quantity: 10,
  filled_quantity: filled,
});

/** A client that keeps each message's raw text. */
function rawClient(url: string): Promise<{ ws: WebSocket; texts: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const texts: string[] = [];
    ws.on('message', (d) => texts.push(String(d)));
    ws.once('open', () => resolve({ ws, texts }));
    ws.once('error', reject);
  });
}
const updates = (texts: string[]) => texts.filter((t) => t.startsWith('{"type":"order_update"'));

beforeEach(async () => {
  broker = await startFakeBroker();
  gw = await startGateway({
    accounts: ['primary', 'secondary'].map((id) => ({ id, ws_url: broker.wsUrl, rest_url: broker.url })),
  });
  await waitFor(
    () => [...gw.gateway.links.values()].every((l) => l.status().state === 'connected'),
    'links up',
  );
});

afterEach(async () => {
  await gw.stop();
  await broker.close();
});

describe('fan-out', () => {
  it('sends every subscriber identical bytes, in the broker order, gap-free', async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => rawClient(`${gw.wsUrl}/ws/orders/primary`)));
    await waitFor(() => clients.every((c) => c.texts.some((t) => t.includes('"snapshot"'))), 'snapshots');
    for (let i = 0; i < 200; i++) broker.send('primary', order(`O${i}`));
    await waitFor(() => clients.every((c) => updates(c.texts).length === 200), 'all delivered');
    const first = updates(clients[0]?.texts ?? []);
    for (const c of clients) expect(updates(c.texts)).toEqual(first);
    const parsed = first.map((t) => JSON.parse(t) as { seq: number; data: { order_id: string } });
    expect(parsed.map((u) => u.seq)).toEqual(parsed.map((_, i) => i + 1));
    expect(parsed.map((u) => u.data.order_id)).toEqual(parsed.map((_, i) => `O${i}`));
    for (const c of clients) c.ws.terminate();
  });

  it('keeps delivering to the others when a client leaves mid-burst', async () => {
    const stay = await rawClient(`${gw.wsUrl}/ws/orders/primary`);
    const leave = await rawClient(`${gw.wsUrl}/ws/orders/primary`);
    await waitFor(
      () => [stay, leave].every((c) => c.texts.some((t) => t.includes('"snapshot"'))),
      'snapshots',
    );
    leave.ws.on('message', () => {
      if (updates(leave.texts).length === 50) leave.ws.terminate();
    });
    for (let i = 0; i < 300; i++) broker.send('primary', order(`B${i}`));
    await waitFor(() => updates(stay.texts).length === 300, 'the staying client got everything');
    expect(updates(leave.texts).length).toBeLessThan(300);
    stay.ws.terminate();
  });
});

describe('writer', () => {
  let server: ReturnType<typeof createServer>;
  let wss: WebSocketServer;
  afterEach(async () => {
    wss?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('corks a socket on its first write in a tick and flushes on the next tick', async () => {
    server = createServer();
    wss = new WebSocketServer({ server, perMessageDeflate: false });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const serverSide = once(wss, 'connection') as Promise<[WebSocket]>;
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const received: string[] = [];
    client.on('message', (d) => received.push(String(d)));
    const [ws] = await serverSide;
    const socket = (ws as unknown as { _socket: { writableCorked: number } })._socket;
    writeFrame(ws, createFrameArena().frame('{"x":1}'));
    writeFrame(ws, textFrame('{"x":2}'));
    expect(socket.writableCorked).toBe(1);
    await new Promise((r) => process.nextTick(r));
    expect(socket.writableCorked).toBe(0);
    await waitFor(() => received.length === 2, 'both frames');
    expect(received).toEqual(['{"x":1}', '{"x":2}']);
    client.terminate();
  });
});

describe('frames', () => {
  // ws exports its Sender, but @types/ws doesn't declare it.
  const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: object): Buffer[] } };
  const wsFrame = (text: string) =>
    Buffer.concat(
      Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }),
    );

  it("are byte for byte what ws's Sender.frame builds, at every header size", () => {
    const arena = createFrameArena();
    // 4092 and 4093 bytes are frames of 4096 (the largest cut from a slab) and 4097 (its own buffer).
    for (const n of [0, 1, 125, 126, 4092, 4093, 4095, 4096, 65_535, 65_536, 200_000]) {
      const text = 'x'.repeat(n);
      expect(textFrame(text).equals(wsFrame(text))).toBe(true);
      expect(arena.frame(text).equals(wsFrame(text))).toBe(true);
    }
    const utf8 = '{"symbol":"NIFTY ₹ 24000","note":"ß"}';
    expect(arena.frame(utf8).equals(wsFrame(utf8))).toBe(true);
    expect(textFrame(utf8).equals(wsFrame(utf8))).toBe(true);
  });

  it('never change once made, however many frames follow in the arena', () => {
    const arena = createFrameArena();
    const kept = Array.from(
      { length: 2000 },
      (_, i) => [i, arena.frame(`{"seq":${i},"pad":"${'p'.repeat(i % 300)}"}`)] as const,
    );
    for (const [i, frame] of kept)
      expect(frame.equals(wsFrame(`{"seq":${i},"pad":"${'p'.repeat(i % 300)}"}`))).toBe(true);
  });

  it("cut one account's frames from slabs no other account shares", () => {
    const a = createFrameArena();
    const b = createFrameArena();
    const fa = a.frame('{"account":"a"}');
    const fb = b.frame('{"account":"b"}');
    expect(fa.buffer).not.toBe(fb.buffer);
    expect(a.frame('{"n":2}').buffer).toBe(fa.buffer);
    // A big frame gets a buffer of its own instead of a slab.
    expect(a.frame('y'.repeat(10_000)).buffer).not.toBe(fa.buffer);
    expect(a.frame('z'.repeat(4092)).buffer).toBe(fa.buffer);
    expect(a.frame('z'.repeat(4093)).buffer).not.toBe(fa.buffer);
  });
});
