/**
 * Forces a full garbage collection in another process through its inspector (Chrome DevTools
 * Protocol, HeapProfiler.collectGarbage), so that an RSS reading counts live memory rather than
 * whatever garbage V8 had not collected yet (start-up garbage would otherwise swamp the ~KB per
 * connection we measure). Only the idle-RSS scenario starts relays with --inspect=127.0.0.1:0.
 */
import { WebSocket } from 'ws';
import { within } from './time.js';

/** The inspector's announcement on stderr: "Debugger listening on ws://127.0.0.1:PORT/UUID". */
export const INSPECTOR_LINE = /Debugger listening on (ws:\/\/\S+)/;

export async function collectGarbage(inspectorUrl: string): Promise<void> {
  const ws = new WebSocket(inspectorUrl, { perMessageDeflate: false });
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        ws.on('error', reject);
        ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
        ws.on('message', (data) => {
          if ((JSON.parse(String(data)) as { id?: number }).id === 1) resolve();
        });
      }),
      10_000,
      'inspector collectGarbage',
    );
  } finally {
    ws.close();
  }
}
