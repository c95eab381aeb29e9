/**
 * Starts a real gateway in-process on 127.0.0.1 port 0, with the clock and randomness a test
 * chooses, and connects test clients to it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createVerifier } from '../../src/auth/jwt.js';
import { loadConfig, resolveCredentials, resolveSecret } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import type { Clock } from '../../src/util/clock.js';
import { type Logger, silentLogger } from '../../src/util/log.js';
import { collect } from './wait.js';

export interface StartedGateway {
  gateway: Gateway;
  config: Config;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export async function startGateway(
  doc: Record<string, unknown>,
  opts: { clock?: Clock; random?: () => number; dataDir?: string; log?: Logger } = {},
): Promise<StartedGateway> {
  const loaded = loadConfig(JSON.stringify({ host: '127.0.0.1', port: 0, ...doc }), {});
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ordergate-test-'));
  const auth = loaded.config.auth;
  const verifier = auth
    ? createVerifier({
        hs256Secret:
          auth.hs256_secret === undefined
            ? undefined
            : resolveSecret(auth.hs256_secret, {}, () => '', 'auth'),
        issuer: auth.issuer,
        audience: auth.audience,
        clockToleranceS: auth.clock_tolerance_s,
      })
    : null;
  const gateway = createGateway({
    verifier,
    config: loaded.config,
    store: openSqliteStore(join(dataDir, 'ordergate.sqlite')),
    credentials: (a) =>
      Object.keys(a.credentials).length > 0
        ? resolveCredentials(a, {}, (p) => readFileSync(p, 'utf8'))
        : { token: 'test-token' },
    clock: opts.clock,
    random: opts.random,
    log: opts.log ?? silentLogger,
  });
  const { port } = await gateway.listen();
  return {
    gateway,
    config: loaded.config,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    stop: () => gateway.stop(),
  };
}

export interface Client {
  ws: WebSocket;
  /** Every frame received so far, parsed ("pong" becomes {type: "pong"}). */
  frames: Record<string, unknown>[];
  /** Frames of one type. */
  of(type: string): Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a client, collecting frames from the first byte, and resolves once it is open. */
export function connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const client: Client = {
      ws,
      frames: collect(ws),
      of: (type) => client.frames.filter((f) => f.type === type),
      closed: new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) }))),
    };
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}
