import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, resolveCredentials } from '../src/config/load.js';

const account = { id: 'primary', ws_url: 'ws://127.0.0.1:8080', rest_url: 'http://127.0.0.1:8080' };
const load = (doc: unknown, env: Record<string, string> = {}) => loadConfig(JSON.stringify(doc), env);

describe('loadConfig', () => {
  it('fills defaults', () => {
    const r = load({ accounts: [account] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      host: '127.0.0.1',
      port: 8009,
      upstream: { heartbeat_ms: 30_000, backoff_min_ms: 1_000, backoff_max_ms: 60_000 },
      downstream: { history_size: 1_000, client_buffer_limit_bytes: 1_048_576 },
      accounts: [{ id: 'primary', dialect: 'ticker-service', credentials: {} }],
    });
  });

  it('applies environment overrides', () => {
    const r = load(
      { accounts: [account] },
      { ORDERGATE_PORT: '9000', ORDERGATE_HOST: '0.0.0.0', ORDERGATE_LOG_LEVEL: 'debug' },
    );
    expect(r.ok && [r.config.port, r.config.host, r.config.log_level]).toEqual([9000, '0.0.0.0', 'debug']);
  });

  it.each([
    ['not JSON', '{', '(file): not valid JSON'],
    ['no accounts', { accounts: [] }, 'accounts: at least one account is needed'],
    [
      'a bad ws url',
      { accounts: [{ ...account, ws_url: 'http://x' }] },
      'accounts.0.ws_url: must be a ws:// or wss:// URL',
    ],
    ['an unknown dialect', { accounts: [{ ...account, dialect: 'fix' }] }, 'accounts.0.dialect'],
    [
      'a bad time zone',
      { accounts: [{ ...account, time_zone: 'Mars/Olympus' }] },
      'accounts.0.time_zone: must be an IANA',
    ],
    ['duplicate ids', { accounts: [account, account] }, 'accounts: account ids must be unique'],
    ['an unknown key', { accounts: [account], prot: 1 }, '(root): Unrecognized key: "prot"'],
    ['a bad port override', { accounts: [account] }, 'port:', { ORDERGATE_PORT: 'eighty' }],
    [
      'inverted backoff',
      { accounts: [account], upstream: { backoff_min_ms: 5000, backoff_max_ms: 10 } },
      'upstream.backoff_max_ms: backoff_max_ms must be at least backoff_min_ms',
    ],
  ] as [string, unknown, string, Record<string, string>?][])(
    'names the field for %s',
    (_name, doc, message, env = {}) => {
      const r = typeof doc === 'string' ? loadConfig(doc, {}) : load(doc, env as Record<string, string>);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.join('\n')).toContain(message);
    },
  );
});

describe('the example config', () => {
  it('loads as shipped', () => {
    const text = readFileSync(new URL('../ordergate.config.example.json', import.meta.url), 'utf8');
    const r = loadConfig(text, {});
    expect(r.ok && r.config.auth?.audience).toBe('ordergate');
  });
});

describe('resolveCredentials', () => {
  const acct = (credentials: Record<string, unknown>) => {
    const r = load({ accounts: [{ ...account, credentials }] });
    if (!r.ok) throw new Error(r.errors.join());
    return r.config.accounts[0] as NonNullable<(typeof r.config.accounts)[0]>;
  };
  const files: Record<string, string> = { '/run/secrets/key': 'from-file\n' };
  const readFile = (p: string) => {
    const v = files[p];
    if (v === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return v;
  };

  it('reads inline values, environment variables and files', () => {
    const c = acct({ a: 'inline', b: { env: 'B_SECRET' }, c: { file: '/run/secrets/key' } });
    expect(resolveCredentials(c, { B_SECRET: 'from-env' }, readFile)).toEqual({
      a: 'inline',
      b: 'from-env',
      c: 'from-file',
    });
  });

  it('names a missing source without revealing anything', () => {
    expect(() => resolveCredentials(acct({ b: { env: 'MISSING' } }), {}, readFile)).toThrow(
      'accounts.primary.credentials.b: environment variable MISSING is not set',
    );
    expect(() => resolveCredentials(acct({ c: { file: '/nope' } }), {}, readFile)).toThrow(
      'cannot read /nope: ENOENT',
    );
  });
});
