/**
 * Composition root: reads the config file and the environment (the only module that touches
 * process.env), builds the gateway or the simulator, serves, and stops cleanly on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, resolveCredentials } from './config/load.js';
import type { Config } from './config/schema.js';
import { createGateway, type Gateway } from './gateway.js';
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
export async function serveGateway(configPath: string): Promise<{ port: number }> {
  const config = readConfig(configPath);
  const log = createLogger({ level: config.log_level, pretty: config.log_pretty });
  const credentials = credentialsOf(config);
  const store = openSqliteStore(join(config.data_dir, 'ordergate.sqlite'));
  const gateway = createGateway({ config, store, credentials: (a) => credentials.get(a.id) ?? {}, log });
  const { host, port } = await gateway.listen();
  log.info({ host, port, accounts: config.accounts.map((a) => a.id) }, 'gateway listening');
  onShutdown(log, gateway.stop);
  reloadCredentialsOnHangup(configPath, gateway, log);
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
  onShutdown(log, sim.close);
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
  const result = loadConfig(
    JSON.stringify({
      host: args.host,
      port: args.port,
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
    credentials: () => ({ token: 'demo' }),
    log,
  });
  const { port } = await gateway.listen();
  const base = `${args.host}:${port}`;
  const lines = [
    '',
    'ordergate demo is running: a simulated broker feeding the gateway.',
    `  live orders, account primary:   ws://${base}/ws/orders/primary`,
    `  every account (admin stream):   ws://${base}/ws/orders`,
    `  link status:                    http://${base}/ws/status`,
    `  gateway's order book:           http://${base}/accounts/primary/orders`,
    `  simulator (faults, activity):   ${sim.httpUrl}/sim/stats`,
    '',
    'Watch updates stream in (copy and paste):',
    `  node -e "new (require('ws'))('ws://${base}/ws/orders/primary').on('message', (m) => console.log(String(m)))"`,
    'Drop the upstream link and watch it reconnect and resync:',
    `  curl -X POST ${sim.httpUrl}/sim/faults -H 'content-type: application/json' -d '{"account_id":"primary","kind":"drop"}'`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  onShutdown(log, async () => {
    await gateway.stop();
    await sim.close();
  });
}
