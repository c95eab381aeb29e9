/**
 * A gateway on 127.0.0.1 port 0 for the observability tests: its own metrics registry (with the
 * default process metrics, as main.ts builds it), an optional /metrics token, client verifier
 * and logger.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Verifier } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createRegistry } from '../../src/metrics/index.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { type Logger, silentLogger } from '../../src/util/log.js';

export interface ObservedGateway {
  gateway: Gateway;
  registry: Registry;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export interface ObservedOptions {
  metricsToken?: string;
  verifier?: Verifier;
  log?: Logger;
  /** Default: true, as in main.ts. */
  defaultMetrics?: boolean;
}

/** Starts a gateway for a config document (host and port are filled in). */
export async function startObserved(
  doc: Record<string, unknown>,
  opts: ObservedOptions = {},
): Promise<ObservedGateway> {
  const loaded = loadConfig(JSON.stringify({ host: '127.0.0.1', port: 0, ...doc }), {});
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const registry = createRegistry({ defaultMetrics: opts.defaultMetrics ?? true });
  const dir = mkdtempSync(join(tmpdir(), 'ordergate-metrics-'));
  const gateway = createGateway({
    config: loaded.config,
    store: openSqliteStore(join(dir, 'ordergate.sqlite')),
    credentials: () => ({ token: 'broker-credential-1234' }),
    log: opts.log ?? silentLogger,
    metrics: registry,
    metricsToken: opts.metricsToken,
    verifier: opts.verifier ?? null,
  });
  const { port } = await gateway.listen();
  return {
    gateway,
    registry,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    stop: () => gateway.stop(),
  };
}

/** Resolves once every upstream link of the gateway is connected. */
export function linksUp(g: Gateway): () => boolean {
  return () => [...g.links.values()].every((l) => l.status().state === 'connected');
}
