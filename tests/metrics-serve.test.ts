/**
 * `ordergate serve` wires metrics from main.ts: one registry with the default process metrics,
 * and config metrics.token read from its source ({"env": ...}) and required on /metrics, never
 * logged. A bad token source is a config error (exit 2) naming the field, not the value.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { type Child, run } from './helpers/child.js';
import { type FakeBroker, startFakeBroker } from './helpers/fake-broker.js';

let broker: FakeBroker | undefined;
let child: Child | undefined;

afterEach(async () => {
  if (child && child.proc.exitCode === null) {
    child.proc.kill('SIGTERM');
    await child.exited;
  }
  await broker?.close();
  child = broker = undefined;
});

const TOKEN = 'scrape-token-from-env-7731';

function configFile(metrics: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ordergate-serve-metrics-'));
  const path = join(dir, 'config.json');
  const b = broker as FakeBroker;
  const doc = {
    port: 0,
    data_dir: dir,
    log_level: 'debug',
    metrics,
    accounts: [{ id: 'primary', ws_url: b.wsUrl, rest_url: b.url }],
  };
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('config metrics', () => {
  it('takes a token as a secret source and refuses unknown keys', () => {
    const base = { accounts: [{ id: 'a', ws_url: 'ws://x', rest_url: 'http://x' }] };
    for (const token of ['inline', { env: 'X' }, { file: '/run/secrets/t' }]) {
      expect(loadConfig(JSON.stringify({ ...base, metrics: { token } }), {}).ok).toBe(true);
    }
    const bad = loadConfig(JSON.stringify({ ...base, metrics: { tokn: 'x' } }), {});
    expect(bad.ok ? [] : bad.errors.join('\n')).toMatch(/^metrics/);
  });
});

describe('ordergate serve /metrics', () => {
  it('requires the token from its env source, serves default metrics, and never logs the token', async () => {
    broker = await startFakeBroker();
    const path = configFile({ token: { env: 'OG_TEST_METRICS_TOKEN' } });
    child = run(['serve', '--config', path, '--insecure-no-auth'], { OG_TEST_METRICS_TOKEN: TOKEN });
    const [, port] = await child.waitForOutput(/"port":(\d+)[^\n]*gateway listening/);
    const url = `http://127.0.0.1:${port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('ordergate_upstream_up{account="primary"}');
    await child.waitForOutput(/"route":"\/metrics"[^\n]*"status":200/);
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(child.stdout() + child.stderr()).not.toContain(TOKEN);
  });

  it('exits 2 naming metrics.token when its source is missing', async () => {
    broker = await startFakeBroker();
    const path = configFile({ token: { env: 'OG_TEST_METRICS_TOKEN_UNSET' } });
    child = run(['serve', '--config', path, '--insecure-no-auth']);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toMatch(
      /metrics\.token: environment variable OG_TEST_METRICS_TOKEN_UNSET is not set/,
    );
  });
});
