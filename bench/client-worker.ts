/**
 * A client worker: one forked process holding many WebSocket clients of the relay under test.
 * The hot path reads only what it needs from each frame's bytes: the type (the 10th byte),
 * the per-account seq (to count gaps) and, while recording, the send time in status_message.
 * Both relays put "type" first, so `{"type":"o` marks an order_update without parsing JSON.
 */
import { WebSocket } from 'ws';
import type { WorkerHealth, WorkerReply, WorkerRequest } from './ipc.js';
import { createHistogram, record } from './stats.js';
import { nowMs } from './time.js';

const TYPE_BYTE = 9;
const O = 0x6f;
const SEQ_KEY = Buffer.from('"seq":');
const STAMP_KEY = Buffer.from('"status_message":"t=');
const QUOTE = 0x22;

const clients = new Set<WebSocket>();
const health: WorkerHealth = { failed: 0, closes4008: 0, errors: 0, gaps: 0 };
let received = 0;
let recording = false;
let histogram = createHistogram();
let closingAll = false;
let reportTimer: NodeJS.Timeout | undefined;

const reply = (m: WorkerReply) => process.send?.(m);

/** The unsigned integer right after `key`, or -1. */
function intAfter(buf: Buffer, key: Buffer): number {
  let i = buf.indexOf(key);
  if (i < 0) return -1;
  let n = 0;
  for (i += key.length; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function sendTime(buf: Buffer): number {
  const i = buf.indexOf(STAMP_KEY);
  if (i < 0) return Number.NaN;
  const from = i + STAMP_KEY.length;
  return Number(buf.toString('latin1', from, buf.indexOf(QUOTE, from)));
}

/** Opens one client; resolves true once its snapshot has arrived, false if it failed first. */
function open(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
    });
    let ready = false;
    let lastSeq = -1;
    const timer = setTimeout(() => ws.terminate(), timeoutMs);
    ws.on('message', (data: Buffer) => {
      const at = recording ? nowMs() : 0;
      if (data[TYPE_BYTE] === O) {
        received++;
        const seq = intAfter(data, SEQ_KEY);
        if (lastSeq >= 0 && seq !== lastSeq + 1) health.gaps++;
        lastSeq = seq;
        if (recording) record(histogram, at - sendTime(data));
        return;
      }
      if (ready) return;
      let msg: { type?: string; seq?: number } = {};
      try {
        msg = JSON.parse(data.toString());
      } catch {
        // not JSON (a pong): not ours to judge
      }
      if (msg.type !== 'snapshot') return;
      lastSeq = msg.seq ?? 0;
      ready = true;
      clearTimeout(timer);
      clients.add(ws);
      resolve(true);
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(timer);
      clients.delete(ws);
      if (!ready) resolve(false);
      else if (code === 4008) health.closes4008++;
      else if (!closingAll) health.errors++;
    });
  });
}

async function connect(base: string, accounts: string[], concurrency: number, timeoutMs: number) {
  const started = nowMs();
  let next = 0;
  const lane = async () => {
    while (next < accounts.length) {
      const account = accounts[next++] as string;
      if (!(await open(`${base}/ws/orders/${encodeURIComponent(account)}`, timeoutMs))) health.failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return { open: clients.size, failed: health.failed, ms: nowMs() - started };
}

async function closeAll(): Promise<void> {
  closingAll = true;
  const all = [...clients];
  const closed = all.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
  for (const ws of all) ws.close(1000);
  const timer = setTimeout(() => {
    for (const ws of all) ws.terminate();
  }, 5_000);
  await Promise.all(closed);
  clearTimeout(timer);
}

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.cmd) {
    case 'connect': {
      const r = await connect(req.base, req.accounts, req.concurrency, req.timeoutMs);
      return void reply({ id: req.id, type: 'connected', ...r });
    }
    case 'report':
      clearInterval(reportTimer);
      if (req.intervalMs > 0)
        reportTimer = setInterval(() => reply({ type: 'counts', received }), req.intervalMs);
      return void reply({ id: req.id, type: 'ok' });
    case 'record':
      if (req.on) histogram = createHistogram();
      recording = req.on;
      return void reply({ id: req.id, type: 'ok' });
    case 'stats':
      return void reply({
        id: req.id,
        type: 'stats',
        stats: { ...health, received, open: clients.size, histogram },
      });
    case 'close':
      clearInterval(reportTimer);
      await closeAll();
      return void reply({ id: req.id, type: 'ok' });
  }
}

process.on('message', (m) => void handle(m as WorkerRequest));
// The harness is gone (it ended or was killed): leave nothing behind.
process.on('disconnect', () => process.exit(0));
