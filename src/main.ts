/**
 * Composition root: reads the config file and the environment (the only module that touches
 * process.env), builds the gateway or the simulator, serves, and stops cleanly on SIGTERM/SIGINT.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVerifier, mintToken, type Verifier } from './auth/jwt.js';
import { SCOPES } from './auth/principal.js';
import { loadConfig, resolveCredentials, resolveSecret } from './config/load.js';
import type { Config } from './config/schema.js';
import { createGateway, type Gateway } from './gateway.js';
import { createRegistry } from './metrics/index.js';
import { type SimDialect, startSim } from './sim/index.js';
import { openSqliteStore } from './store/sqlite.js';
import { createLogger, type Logger } from './util/log.js';

/** Thrown for a config the gateway refuses; the CLI prints it and exits with code 2. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Reads and validates a config file with environment overrides. Throws ConfigError. */
export function readConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`(file): cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  const result = loadConfig(text, process.env);
  if (!result.ok) throw new ConfigError(result.errors);
  return result.config;
}

function credentialsOf(config: Config): Map<string, Record<string, string>> {
  return new Map(
    config.accounts.map((a) => {
      try {
        return [a.id, resolveCredentials(a, process.env, (p) => readFileSync(p, 'utf8'))] as const;
      } catch (err) {
        throw new ConfigError([(err as Error).message]);
      }
    }),
  );
}

/** The client token verifier of a config, or null when it has no auth section. */
function verifierOf(config: Config): Verifier | null {
  const a = config.auth;
  if (!a) return null;
  try {
    return createVerifier({
      hs256Secret: hs256SecretOf(config) ?? undefined,
      jwksFile: a.jwks_file,
      jwksUrl: a.jwks_url,
      issuer: a.issuer,
      audience: a.audience,
      clockToleranceS: a.clock_tolerance_s,
    });
  } catch (err) {
    throw new ConfigError([`auth: ${(err as Error).message}`]);
  }
}

/** The HS256 secret of a config's auth section, resolved from its source. */
export function hs256SecretOf(config: Config): string | null {
  const source = config.auth?.hs256_secret;
  if (source === undefined) return null;
  try {
    return resolveSecret(source, process.env, (p) => readFileSync(p, 'utf8'), 'auth.hs256_secret');
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
}

/** The bearer token GET /metrics requires (config metrics.token), resolved; undefined: none. */
function metricsTokenOf(config: Config): string | undefined {
  const source = config.metrics.token;
  if (source === undefined) return undefined;
  try {
    return resolveSecret(source, process.env, (p) => readFileSync(p, 'utf8'), 'metrics.token');
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
}

/**
 * SIGHUP re-reads the config's credential sources (Kite's access_token expires daily) and hands
 * them to the links: a link in auth_failed reconnects at once, the others use them on their next
 * connect. Nothing else is reloaded, and no client is disconnected.
 */
function reloadCredentialsOnHangup(configPath: string, gateway: Gateway, log: Logger): void {
  process.on('SIGHUP', () => {
    try {
      const fresh = credentialsOf(readConfig(configPath));
      for (const [id, link] of gateway.links) {
        const creds = fresh.get(id);
        if (creds) link.updateCredentials(creds);
      }
      log.info({ accounts: [...fresh.keys()] }, 'credentials reloaded');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'credential reload failed; keeping the current ones');
    }
  });
}

/** Starts the gateway for a config file and runs until a signal stops it. */
export async function serveGateway(
  configPath: string,
  opts: { insecureNoAuth: boolean },
): Promise<{ port: number }> {
  const config = readConfig(configPath);
  const log = createLogger({ level: config.log_level, pretty: config.log_pretty });
  if (!config.auth && !opts.insecureNoAuth) {
    throw new ConfigError([
      'auth: missing. A gateway in front of real money authenticates its clients: add an auth section (docs/CONFIG.md), or pass --insecure-no-auth',
    ]);
  }
  if (!config.auth) {
    log.warn(
      'running WITHOUT client authentication (--insecure-no-auth): anyone who can reach this port can read and place orders',
    );
  }
  const verifier = verifierOf(config);
  const credentials = credentialsOf(config);
  const store = openSqliteStore(join(config.data_dir, 'ordergate.sqlite'));
  const metricsToken = metricsTokenOf(config);
  const gateway = createGateway({
    config,
    store,
    verifier,
    credentials: (a) => credentials.get(a.id) ?? {},
    log,
    metrics: createRegistry(),
    metricsToken,
  });
  const { host, port } = await gateway.listen();
  // Signals first: whoever waits for "listening" may stop the process the moment it reads it.
  onShutdown(log, gateway.stop);
  reloadCredentialsOnHangup(configPath, gateway, log);
  log.info({ host, port, accounts: config.accounts.map((a) => a.id) }, 'gateway listening');
  return { port };
}

export interface SimArgs {
  dialect: SimDialect;
  host: string;
  port: number;
  accounts: string[];
  rate: number;
  seed: number;
}

/** Runs the simulated broker alone until a signal stops it. */
export async function serveSim(
  args: SimArgs,
  log: Logger = createLogger({ level: 'info' }),
): Promise<{ port: number }> {
  const sim = await startSim({ ...args, logger: (msg) => log.debug(msg) });
  onShutdown(log, sim.close);
  log.info(
    {
      dialect: sim.dialect,
      rest: sim.httpUrl,
      stream: sim.streamUrl,
      accounts: args.accounts,
      rate: args.rate,
    },
    'simulated broker listening',
  );
  return { port: sim.port };
}

export interface DemoArgs {
  host: string;
  port: number;
  simPort: number;
  rate: number;
  seed: number;
}

/** The simulator and the gateway in one process, with accounts primary and secondary. */
export async function serveDemo(args: DemoArgs): Promise<void> {
  const log = createLogger({ level: process.env.ORDERGATE_LOG_LEVEL ?? 'info', pretty: true });
  const accounts = ['primary', 'secondary'];
  const sim = await startSim({
    host: args.host,
    port: args.simPort,
    accounts,
    rate: args.rate,
    seed: args.seed,
  });
  // A fresh secret per run; the first token printed is ready to use.
  const secret = randomBytes(32).toString('base64url');
  const token = await mintToken({
    secret,
    sub: 'demo',
    accounts: '*',
    scopes: [...SCOPES],
    ttlSeconds: 24 * 3600,
  });
  const result = loadConfig(
    JSON.stringify({
      host: args.host,
      port: args.port,
      auth: { hs256_secret: secret },
      accounts: accounts.map((id) => ({
        id,
        ws_url: sim.wsUrl,
        rest_url: sim.httpUrl,
        credentials: { token: 'demo' },
        // Both batch paths are visible: the broker's atomic batch, and the gateway's own rollback.
        batch_mode: id === 'primary' ? 'native' : 'gateway',
      })),
    }),
    { ORDERGATE_DATA_DIR: process.env.ORDERGATE_DATA_DIR },
  );
  if (!result.ok) throw new ConfigError(result.errors);
  const store = openSqliteStore(join(result.config.data_dir, 'demo.sqlite'));
  const gateway = createGateway({
    config: result.config,
    store,
    verifier: verifierOf(result.config),
    credentials: () => ({ token: 'demo' }),
    log,
    metrics: createRegistry(),
  });
  const { port } = await gateway.listen();
  onShutdown(log, async () => {
    await gateway.stop();
    await sim.close();
  });
  const base = `${args.host}:${port}`;
  const q = `?token=${token}`;
  const lines = [
    '',
    'ordergate demo is running: a simulated broker feeding the gateway.',
    'Demo token (sub demo, every account, scopes orders:read orders:write admin; valid 24 h):',
    `  ${token}`,
    '',
    `  live orders, account primary:   ws://${base}/ws/orders/primary${q}`,
    `  every account (admin stream):   ws://${base}/ws/orders${q}`,
    `  link status:                    curl -H 'Authorization: Bearer ${token}' http://${base}/ws/status`,
    `  gateway's order book:           curl -H 'Authorization: Bearer ${token}' http://${base}/accounts/primary/orders`,
    `  simulator (faults, activity):   ${sim.httpUrl}/sim/stats`,
    '',
    'Watch updates stream in (copy and paste):',
    `  node -e "new (require('ws'))('ws://${base}/ws/orders/primary${q}').on('message', (m) => console.log(String(m)))"`,
    'Drop the upstream link and watch it reconnect and resync:',
    `  curl -X POST ${sim.httpUrl}/sim/faults -H 'content-type: application/json' -d '{"account_id":"primary","kind":"drop"}'`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
