/**
 * The real gateway, `node --no-memory-reducer bin/ordergate.js serve --config <file>` (as the
 * Docker image runs it), in its own process. It runs behind a tiny guard shell that raises the
 * open-file limit, prints the gateway's pid, and SIGTERMs it when the harness closes the shell's
 * stdin, which also happens when the harness dies in any way, so no gateway outlives a run; then
 * it removes the run's temporary data_dir.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from '../src/config/schema.js';
import { collectGarbage, INSPECTOR_LINE } from './gc.js';
import { alive, forwardStderr, freePort, signal, track } from './proc.js';
import type { Relay, RelayOptions } from './relay.js';
import { snapshotTree } from './snapshot.js';
import { sleep, waitFor, within } from './time.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

const GUARD = [
  'ulimit -n "$(ulimit -Hn)" 2>/dev/null',
  '"$@" </dev/null &',
  'child=$!',
  'echo "pid:$child"',
  'read -r _ || true',
  'kill -TERM "$child" 2>/dev/null',
  'wait "$child"',
  'status=$?',
  'rm -rf -- "$BENCH_TMPDIR"',
  'exit "$status"',
].join('\n');

export interface GatewayLaunch {
  config: Record<string, unknown>;
  /** The command after the executable (node): script and arguments. */
  args: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Client authentication is landing in the working tree: a gateway whose config schema has an
 * `auth` section refuses to serve without one unless given --insecure-no-auth, and caps each
 * subject (every unauthenticated client is the same one) at a few connections. Detected from
 * the real schema so that the bench runs against the tree either side of that change.
 */
const gatewayHasAuth = 'auth' in ConfigSchema.shape;

/**
 * THE place where the bench decides how the gateway is configured and invoked (config document,
 * command line, environment). Authentication choices live here and nowhere else.
 */
export function gatewayLaunch(
  o: RelayOptions,
  port: number,
  dataDir: string,
  configPath: string,
): GatewayLaunch {
  const config: Record<string, unknown> = {
    host: '127.0.0.1',
    port,
    log_level: 'warn',
    data_dir: dataDir,
    // Big enough that only a client that really lags meets 4008 (reported per run).
    downstream: { client_buffer_limit_bytes: 64 * 1024 * 1024 },
    accounts: [
      ...o.accounts.map((id) => ({ id, ws_url: o.upstream.wsUrl, rest_url: o.upstream.restUrl })),
      ...(o.extraAccounts ?? []),
    ],
  };
  // No tokens: the bench measures relaying; all its clients are one anonymous subject.
  if (gatewayHasAuth) config.security = { max_connections_per_subject: 100_000 };
  const flags = gatewayHasAuth ? ['--insecure-no-auth'] : [];
  const parsed = ConfigSchema.safeParse(config);
  if (!parsed.success) throw new Error(`bench gateway config refused: ${parsed.error.message}`);
  return {
    config,
    args: [
      // As the Docker image and bin/ordergate.js's shebang run it.
      '--no-memory-reducer',
      ...(o.inspect ? ['--inspect=127.0.0.1:0'] : []),
      ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
      // The source as it was when the run started (snapshot.ts), whatever happens to src/ since.
      join(snapshotTree(repo).root, 'bin', 'ordergate.js'),
      'serve',
      '--config',
      configPath,
      ...flags,
    ],
    env: { ...process.env, ORDERGATE_LOG_LEVEL: 'warn' },
  };
}

/** Starts the gateway and resolves once GET /ready answers 200 (every upstream link connected). */
export async function startGateway(o: RelayOptions): Promise<Relay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ordergate-bench-'));
  const configPath = join(dataDir, 'config.json');
  const port = await freePort();
  const launch = gatewayLaunch(o, port, dataDir, configPath);
  writeFileSync(configPath, JSON.stringify(launch.config, null, 2));
  const shell = spawn('/bin/sh', ['-c', GUARD, 'ordergate-guard', process.execPath, ...launch.args], {
    env: { ...launch.env, BENCH_TMPDIR: dataDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = await within(
    new Promise<number>((resolve, reject) => {
      let found = false;
      shell.stdout.on('data', (d: Buffer) => {
        const text = d.toString();
        const m = found ? null : /^pid:(\d+)\n?/m.exec(text);
        if (m) {
          found = true;
          resolve(Number(m[1]));
        }
        // The gateway's own stdout (its logs) goes to our stderr: stdout is the JSON report's.
        forwardStderr(Buffer.from(m ? text.replace(m[0], '') : text), '[gateway] ');
      });
      shell.once('exit', (code) => reject(new Error(`gateway guard exited with ${code}`)));
    }),
    10_000,
    'gateway pid',
  );
  track(shell, pid);
  let inspector: string | undefined;
  shell.stderr.on('data', (d: Buffer) => {
    const m = INSPECTOR_LINE.exec(d.toString());
    if (m) inspector = m[1];
    forwardStderr(d, '[gateway] ');
  });
  const httpBase = `http://127.0.0.1:${port}`;
  const ready = async () => {
    if (shell.exitCode !== null || !alive(pid)) throw new Error('the gateway exited before it was ready');
    return (await fetch(`${httpBase}/ready`).catch(() => null))?.status === 200;
  };
  await waitFor(ready, 30_000, 'gateway /ready');

  return {
    kind: 'ordergate',
    pid,
    wsBase: `ws://127.0.0.1:${port}`,
    httpBase,
    gc: () => (inspector ? collectGarbage(inspector) : Promise.resolve()),
    async stop() {
      const exited = new Promise((resolve) => shell.once('exit', resolve));
      shell.stdin.end();
      await within(exited, 15_000, 'gateway stop').catch(async () => {
        signal(pid, 'SIGKILL');
        shell.kill('SIGKILL');
        await sleep(100);
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
