/**
 * The `ordergate` command: serve, demo and sim. Parses arguments and prints help; the work is
 * in main.ts. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { mintToken, parseTtl } from './auth/jwt.js';
import { SCOPES, type Scope } from './auth/principal.js';
import { DialectNameSchema } from './config/schema.js';
import { ConfigError, hs256SecretOf, readConfig, serveDemo, serveGateway, serveSim } from './main.js';
import { isValidTimeZone } from './orders/time.js';
import { SIM_DIALECTS } from './sim/index.js';
import { dialectFor } from './upstream/dialects/index.js';
import { normalizeLines } from './upstream/normalize-stream.js';

type Spec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean; short?: string }>;

interface Command {
  summary: string;
  usage: string;
  options: Spec;
  help: string[];
  run(values: Record<string, string | boolean | undefined>): Promise<void>;
}

class UsageError extends Error {}
/** Thrown by a command that has finished and set process.exitCode. */
class Done extends Error {}

function intOption(values: Record<string, unknown>, name: string, min: number, max: number): number {
  const raw = String(values[name]);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function rateOption(values: Record<string, unknown>): number {
  const n = Number(values.rate);
  if (!Number.isFinite(n) || n < 0 || n > 10_000)
    throw new UsageError('--rate must be a number from 0 to 10000');
  return n;
}

const commands: Record<string, Command> = {
  normalize: {
    summary: 'normalize captured upstream frames (stdin, one JSON per line) to orders (stdout)',
    usage:
      'ordergate normalize --dialect <ticker-service|kite|alpaca> [--account <id>] [--time-zone <IANA>] [--strict]',
    options: {
      dialect: { type: 'string', default: 'ticker-service' },
      account: { type: 'string', default: 'default' },
      'time-zone': { type: 'string' },
      strict: { type: 'boolean', default: false },
    },
    help: [
      '--dialect <name>     ticker-service (default), kite or alpaca',
      '--account <id>       account_id written on each order (default "default")',
      "--time-zone <IANA>   zone of timestamps that carry none (default: the dialect's, Asia/Kolkata for kite)",
      '--strict             exit 1 if any line could not be read',
      'Reads one frame per line from stdin and writes one normalized order per line for each order',
      'update; control frames write nothing. An unreadable line writes "line N: reason" to stderr',
      'and the command goes on. It parses with the same code as the live link.',
    ],
    async run(v) {
      const name = DialectNameSchema.safeParse(v.dialect);
      if (!name.success)
        throw new UsageError(`--dialect must be one of ${DialectNameSchema.options.join(', ')}`);
      const dialect = dialectFor(name.data);
      const timeZone = v['time-zone'] === undefined ? dialect.defaultTimeZone : String(v['time-zone']);
      if (!isValidTimeZone(timeZone))
        throw new UsageError(`--time-zone ${timeZone} is not an IANA time zone`);
      const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      const result = await normalizeLines(
        lines,
        { dialect, accountId: String(v.account), timeZone },
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
      process.exitCode = v.strict && result.unreadable > 0 ? 1 : 0;
      throw new Done();
    },
  },
  serve: {
    summary: 'run the gateway',
    usage: 'ordergate serve --config <file> [--insecure-no-auth]',
    options: {
      config: { type: 'string', default: 'ordergate.config.json' },
      'insecure-no-auth': { type: 'boolean', default: false },
    },
    help: [
      '--config <file>   JSON config (default ordergate.config.json); see docs/CONFIG.md.',
      '                  ORDERGATE_HOST, ORDERGATE_PORT and ORDERGATE_LOG_LEVEL override it.',
      'Signals: SIGTERM or SIGINT stop cleanly (exit 0); SIGHUP re-reads credentials from the config',
      'file and their sources, and links in auth_failed reconnect with them.',
      '--insecure-no-auth  run without client authentication when the config has no auth section',
      '                  (refused otherwise; warns at every start). Never in front of real accounts.',
    ],
    async run(v) {
      await serveGateway(String(v.config), { insecureNoAuth: v['insecure-no-auth'] === true });
    },
  },
  token: {
    summary: "mint a client token (HS256) with the config's auth secret",
    usage:
      'ordergate token --sub <subject> --accounts <a,b|*> --scope <orders:read,orders:write,admin> [--ttl 1h] [--config <file>]',
    options: {
      config: { type: 'string', default: 'ordergate.config.json' },
      sub: { type: 'string' },
      accounts: { type: 'string' },
      scope: { type: 'string', default: 'orders:read' },
      ttl: { type: 'string', default: '1h' },
    },
    help: [
      '--sub <subject>     who the token is for (required)',
      '--accounts <a,b|*>  accounts it may use, or * for every account (required)',
      '--scope <list>      orders:read, orders:write, admin; comma-separated (default orders:read)',
      '--ttl <duration>    lifetime: 30s, 15m, 1h, 7d (default 1h)',
      '--config <file>     config whose auth.hs256_secret (and issuer, audience) sign the token',
      'Prints the token on stdout, and nothing else.',
    ],
    async run(v) {
      if (typeof v.sub !== 'string' || v.sub === '') throw new UsageError('--sub is required');
      if (typeof v.accounts !== 'string' || v.accounts === '') throw new UsageError('--accounts is required');
      const scopes = String(v.scope)
        .split(',')
        .map((x) => x.trim());
      const bad = scopes.filter((x) => !(SCOPES as readonly string[]).includes(x));
      if (bad.length > 0)
        throw new UsageError(`--scope: unknown ${bad.join(', ')} (use ${SCOPES.join(', ')})`);
      const ttl = parseTtl(String(v.ttl));
      if (ttl === null) throw new UsageError('--ttl must look like 30s, 15m, 1h or 7d');
      const config = readConfig(String(v.config));
      const secret = hs256SecretOf(config);
      if (!secret) throw new ConfigError(['auth.hs256_secret: not set, so there is nothing to sign with']);
      const accounts =
        v.accounts === '*'
          ? '*'
          : v.accounts
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean);
      const token = await mintToken({
        secret,
        sub: v.sub,
        accounts,
        scopes: scopes as Scope[],
        ttlSeconds: ttl,
        issuer: config.auth?.issuer,
        audience: config.auth?.audience,
      });
      process.stdout.write(`${token}\n`);
      throw new Done();
    },
  },
  demo: {
    summary: 'run the simulated broker and the gateway together',
    usage: 'ordergate demo [--port 8009] [--sim-port 8080] [--rate 5] [--seed 1]',
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8009' },
      'sim-port': { type: 'string', default: '8080' },
      rate: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
    },
    help: [
      '--host <addr>     address both listen on (default 127.0.0.1)',
      '--port <n>        gateway port (default 8009)',
      '--sim-port <n>    simulated broker port (default 8080)',
      '--rate <n>        new simulated orders per second per account (default 5)',
      '--seed <n>        seed of the simulation (default 1)',
      'Accounts: primary and secondary. Prints the URLs to open and a client command.',
    ],
    async run(v) {
      await serveDemo({
        host: String(v.host),
        port: intOption(v, 'port', 0, 65535),
        simPort: intOption(v, 'sim-port', 0, 65535),
        rate: rateOption(v),
        seed: intOption(v, 'seed', 0, 2 ** 32 - 1),
      });
    },
  },
  sim: {
    summary: 'run the simulated broker alone',
    usage:
      'ordergate sim [--dialect ticker-service] [--port 8080] [--accounts primary,secondary] [--rate 5] [--seed 1]',
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      accounts: { type: 'string', default: 'primary,secondary' },
      rate: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      dialect: { type: 'string', default: 'ticker-service' },
    },
    help: [
      '--dialect <name>     wire format: ticker-service (default), kite or alpaca',
      '--host <addr>        address to listen on (default 127.0.0.1)',
      '--port <n>           port for the WS stream, REST and control API (default 8080)',
      '--accounts <a,b>     account ids (default primary,secondary)',
      '--rate <n>           new orders per second per account (default 5; 0 for none)',
      '--seed <n>           seed of the simulation (default 1)',
      'Serves the same order lifecycles in the chosen broker wire format: its stream handshake,',
      'frames, REST paths and auth headers. Account ids are the API keys (kite api_key, alpaca key id).',
      'Control API in every dialect: POST /sim/faults, DELETE /sim/faults, POST /sim/activity, GET /sim/stats.',
    ],
    async run(v) {
      const accounts = String(v.accounts)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (accounts.length === 0) throw new UsageError('--accounts needs at least one id');
      const dialect = SIM_DIALECTS.find((d) => d === v.dialect);
      if (!dialect) throw new UsageError(`--dialect must be one of ${SIM_DIALECTS.join(', ')}`);
      await serveSim({
        dialect,
        host: String(v.host),
        port: intOption(v, 'port', 0, 65535),
        accounts,
        rate: rateOption(v),
        seed: intOption(v, 'seed', 0, 2 ** 32 - 1),
      });
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'ordergate: a broker-proxy gateway for live order updates',
    '',
    'Usage: ordergate <command> [options]      ordergate <command> --help',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

function commandHelp(name: string, c: Command): string {
  return [
    `ordergate ${name}: ${c.summary}`,
    '',
    `Usage: ${c.usage}`,
    '',
    ...c.help.map((l) => `  ${l}`),
  ].join('\n');
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`ordergate: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}\n`);
    return 2;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${commandHelp(name, command)}\n`);
      return 0;
    }
    await command.run(values);
    return -1;
  } catch (err) {
    if (err instanceof Done) return typeof process.exitCode === 'number' ? process.exitCode : 0;
    if (err instanceof ConfigError) {
      process.stderr.write(`ordergate ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`ordergate ${name}: ${(err as Error).message}\n\n${commandHelp(name, command)}\n`);
      return 2;
    }
    process.stderr.write(`ordergate ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

// A long-running command returns -1 and keeps the process alive until a signal stops it.
const code = await run(process.argv.slice(2));
if (code >= 0) process.exit(code);
