/**
 * Test clients for the simulator: a recording WebSocket client, an upgrade probe that reports the
 * HTTP status of a refused upgrade, a JSON fetch wrapper, and an event-driven wait.
 */
import { WebSocket } from 'ws';

/** Polls a condition between I/O turns; fails with a message instead of hanging. */
export async function until(cond: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A short, bounded wait used only to show that something does NOT happen. */
export const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

export interface StreamClient {
  ws: WebSocket;
  /** Every text message received, raw. */
  texts: string[];
  /** Every message received, text or binary, in arrival order. */
  frames: { data: Buffer; binary: boolean }[];
  closed: { code: number } | null;
  close(): void;
}

/** Opens a stream and records what arrives; rejects with the status if the upgrade is refused. */
export function openStream(url: string): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const client: StreamClient = { ws, texts: [], frames: [], closed: null, close: () => ws.terminate() };
    ws.on('message', (data, binary) => {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      client.frames.push({ data: buf, binary });
      if (!binary) client.texts.push(buf.toString('utf8'));
    });
    ws.on('close', (code) => {
      client.closed = { code };
    });
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once('error', reject);
  });
}

/** The HTTP status an upgrade gets: 101 when it succeeds (the socket is then closed). */
export async function upgradeStatus(url: string): Promise<number> {
  try {
    const c = await openStream(url);
    c.close();
    return 101;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return status;
  }
}

/** Parsed JSON frames of a client (non-JSON frames are skipped). */
export function jsonFrames(c: StreamClient): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of c.texts) {
    try {
      out.push(JSON.parse(t));
    } catch {
      // not JSON
    }
  }
  return out;
}

/** Order payloads of well-formed order_update frames. */
export function orderFrames(c: StreamClient): Record<string, unknown>[] {
  return jsonFrames(c)
    .filter(
      (f) =>
        f.type === 'order_update' &&
        f.data &&
        typeof (f.data as { order_id?: unknown }).order_id === 'string',
    )
    .map((f) => f.data as Record<string, unknown>);
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Sent as JSON (or as is, when a string). */
  json?: unknown;
  /** Sent form-encoded, as Kite's API wants. */
  form?: Record<string, string | number>;
}

/** fetch with headers and a JSON or form body; the answer parsed as JSON when it is JSON. */
export async function request(method: string, url: string, opts: RequestOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    body = typeof opts.json === 'string' ? opts.json : JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  } else if (opts.form) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.form)) form.set(k, String(v));
    body = form.toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed as Record<string, unknown> };
}

/** fetch with a JSON body (or a raw string) and a parsed JSON answer. */
export async function call(method: string, url: string, body?: unknown): Promise<JsonResponse> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) };
}
