/**
 * Waiting on events, not on the wall clock: polls a condition between I/O turns, bounded so a
 * broken test fails with a message instead of hanging.
 */
import type { WebSocket } from 'ws';

export async function waitFor(cond: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Collects every JSON frame a client receives. */
export function collect(ws: WebSocket): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  ws.on('message', (data) => {
    const text = String(data);
    frames.push(text === 'pong' ? { type: 'pong' } : JSON.parse(text));
  });
  return frames;
}
