/**
 * A relay under test, whichever it is: ordergate (gateway-process.ts) or the baseline
 * (baseline.ts), each in its own process, listening on 127.0.0.1 and already linked to the
 * synthetic upstream when start resolves.
 */
import { fileURLToPath } from 'node:url';
import type { BaselineReady, BaselineStart } from './baseline.js';
import { startGateway } from './gateway-process.js';
import { collectGarbage } from './gc.js';
import { forkRaised } from './proc.js';
import { within } from './time.js';

/** `floor` is no relay at all: clients connect to the synthetic upstream itself (upstream.ts). */
export type RelayKind = 'ordergate' | 'baseline' | 'floor';

export interface Relay {
  readonly kind: RelayKind;
  readonly pid: number;
  /** ws://127.0.0.1:port; clients open {wsBase}/ws/orders/{account}. */
  readonly wsBase: string;
  readonly httpBase: string;
  /** Forces a full GC in the relay (only when started with `inspect`; otherwise does nothing). */
  gc(): Promise<void>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  upstream: { wsUrl: string; restUrl: string };
  accounts: string[];
  /** Extra gateway accounts (the batch scenario's sim account); the baseline ignores them. */
  extraAccounts?: Record<string, unknown>[];
  /** Start with the inspector on a free port, so that gc() can force a collection. */
  inspect?: boolean;
  /** The gateway writes a V8 CPU profile into this directory when it exits (node --cpu-prof). */
  cpuProfDir?: string;
}

const baselinePath = fileURLToPath(new URL('./baseline.ts', import.meta.url));

export async function startBaseline(o: RelayOptions): Promise<Relay> {
  const child = forkRaised(baselinePath, o.inspect ? ['--inspect=127.0.0.1:0'] : []);
  const ready = new Promise<BaselineReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as BaselineReady));
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}`)));
  });
  child.send({ upstream: o.upstream.wsUrl, accounts: o.accounts } satisfies BaselineStart);
  const { port, inspector } = await within(ready, 30_000, 'baseline start');
  return {
    kind: 'baseline',
    pid: child.pid ?? 0,
    wsBase: `ws://127.0.0.1:${port}`,
    httpBase: `http://127.0.0.1:${port}`,
    gc: () => (inspector ? collectGarbage(inspector) : Promise.resolve()),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) child.disconnect();
      await within(exited, 5_000, 'baseline exit').catch(() => child.kill('SIGKILL'));
    },
  };
}

/** The floor: clients go straight to the upstream, which runs in this harness process. */
function floor(o: RelayOptions): Relay {
  return {
    kind: 'floor',
    pid: process.pid,
    wsBase: o.upstream.wsUrl,
    httpBase: o.upstream.restUrl,
    gc: () => Promise.resolve(),
    stop: () => Promise.resolve(),
  };
}

export function startRelay(kind: RelayKind, o: RelayOptions): Promise<Relay> {
  if (kind === 'floor') return Promise.resolve(floor(o));
  return kind === 'ordergate' ? startGateway(o) : startBaseline(o);
}
