import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bin, killAll, run, start } from './helpers/child.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';
import { connect } from './helpers/start-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'ordergate-cli-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

describe('ordergate command', () => {
  it.each(['serve', 'demo', 'sim', 'normalize', 'token'])(
    '%s --help documents its options and exits 0',
    async (cmd) => {
      const c = run([cmd, '--help']);
      expect(await c.exited).toBe(0);
      expect(c.stdout()).toContain(`ordergate ${cmd}:`);
      expect(c.stdout()).toMatch(/--\w+/);
    },
  );

  // /proc: Linux only, as the Docker image is.
  it.runIf(process.platform === 'linux')(
    "runs, as a command, in node without V8's memory reducer (its idle-time collections stall the fan-out)",
    async () => {
      // Executed itself, as npm's bin link and a shell run it: the shebang picks the node flags.
      // The node that env finds first is this one.
      const path = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
      const c = start(bin, ['sim', '--port', '0'], { env: { ...process.env, PATH: path } });
      try {
        await c.waitForOutput(/simulated broker listening/);
        const argv = readFileSync(`/proc/${c.proc.pid}/cmdline`, 'utf8').split('\0');
        expect(argv.slice(1, 3)).toEqual(['--no-memory-reducer', bin]);
        c.proc.kill('SIGTERM');
        expect(await c.exited).toBe(0);
      } finally {
        killAll();
      }
    },
  );

  it('lists the commands with --help, and refuses an unknown one with exit 2', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/serve[\s\S]*demo[\s\S]*sim/);
    const bad = run(['launch']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain('unknown command "launch"');
  });

  it('exits 2 naming the wrong field of a bad config', async () => {
    const path = file('bad.json', {
      accounts: [{ id: 'primary', ws_url: 'http://x', rest_url: 'http://x' }],
    });
    const c = run(['serve', '--config', path]);
    expect(await c.exited).toBe(2);
    expect(c.stderr()).toContain('accounts.0.ws_url: must be a ws:// or wss:// URL');
  });

  it('exits 2 for a missing config file and for a bad option', async () => {
    const missing = run(['serve', '--config', join(dir, 'nope.json')]);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('cannot read');
    const badOption = run(['sim', '--rate', 'fast']);
    expect(await badOption.exited).toBe(2);
    expect(badOption.stderr()).toContain('--rate must be a number');
  });
});

describe('ordergate serve', () => {
  let broker: FakeBroker;
  beforeEach(async () => {
    broker = await startFakeBroker();
  });
  afterEach(async () => {
    killAll();
    await broker.close();
  });

  it('serves, then on SIGTERM closes clients with 1001, closes the upstream link and exits 0', async () => {
    const path = file('good.json', {
      port: 0,
      auth: { hs256_secret: { env: 'JWT_SECRET' } },
      accounts: [
        { id: 'primary', ws_url: broker.wsUrl, rest_url: broker.url, credentials: { token: { env: 'T' } } },
      ],
    });
    const env = {
      T: 'super-secret-token',
      JWT_SECRET: 'jwt-secret-of-the-test',
      ORDERGATE_LOG_LEVEL: 'debug',
    };
    const minted = run(
      ['token', '--config', path, '--sub', 'alice', '--accounts', 'primary', '--ttl', '5m'],
      env,
    );
    expect(await minted.exited).toBe(0);
    const token = minted.stdout().trim();
    expect(token.split('.')).toHaveLength(3);
    const c = run(['serve', '--config', path], env);
    const [, port] = await c.waitForOutput(/"port":(\d+)[^\n]*gateway listening/);
    const client = await connect(`ws://127.0.0.1:${port}/ws/orders/primary?token=${token}`);
    await c.waitForOutput(/"to":"connected"/);
    c.proc.kill('SIGTERM');
    expect((await client.closed).code).toBe(1001);
    expect(await c.exited).toBe(0);
    expect(broker.sockets.size).toBe(0);
    expect(c.stdout() + c.stderr()).not.toContain('super-secret-token');
    expect(c.stdout() + c.stderr()).not.toContain(token);
  });

  it('refuses to start without an auth section, and warns at every start with --insecure-no-auth', async () => {
    const path = file('noauth.json', {
      port: 0,
      accounts: [{ id: 'primary', ws_url: broker.wsUrl, rest_url: broker.url }],
    });
    const refused = run(['serve', '--config', path]);
    expect(await refused.exited).toBe(2);
    expect(refused.stderr()).toContain('auth: missing');
    const insecure = run(['serve', '--config', path, '--insecure-no-auth']);
    await insecure.waitForOutput(/WITHOUT client authentication/);
    await insecure.waitForOutput(/gateway listening/);
    insecure.proc.kill('SIGTERM');
    expect(await insecure.exited).toBe(0);
  });

  it('on SIGHUP re-reads credentials: a link in auth_failed reconnects, clients stay connected', async () => {
    const secret = file('token.txt', 'expired-token\n');
    broker.requireAuthorization = 'Bearer fresh-token';
    const path = file('hup.json', {
      port: 0,
      accounts: [
        {
          id: 'primary',
          ws_url: broker.wsUrl,
          rest_url: broker.url,
          credentials: { token: { file: secret } },
        },
      ],
    });
    const c = run(['serve', '--config', path, '--insecure-no-auth']);
    const [, port] = await c.waitForOutput(/"port":(\d+)[^\n]*gateway listening/);
    await c.waitForOutput(/"to":"auth_failed"/);
    const client = await connect(`ws://127.0.0.1:${port}/ws/orders/primary`);
    file('token.txt', 'fresh-token\n');
    c.proc.kill('SIGHUP');
    await c.waitForOutput(/credentials reloaded/);
    await c.waitForOutput(/"from":"connecting","to":"connected"/);
    expect(broker.upgrades.map((r) => r.headers.authorization)).toEqual([
      'Bearer expired-token',
      'Bearer fresh-token',
    ]);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    expect(client.of('upstream_status').map((s) => s.state)).toEqual([
      'auth_failed',
      'connecting',
      'connected',
    ]);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(c.stdout() + c.stderr()).not.toMatch(/expired-token|fresh-token/);
  });
});
