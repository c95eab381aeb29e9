import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kite } from '../src/upstream/dialects/kite.js';
import { normalizeLines } from '../src/upstream/normalize-stream.js';
import { bin } from './helpers/child.js';

const fixture = (name: string) =>
  JSON.stringify(
    JSON.parse(readFileSync(new URL(`../../shared/fixtures/brokers/${name}`, import.meta.url), 'utf8')),
  );

/** Runs `ordergate normalize` with stdin, for real. */
function normalize(
  args: string[],
  stdin: string,
): Promise<{ code: number | null; out: string[]; err: string[] }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [bin, 'normalize', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.stderr.on('data', (d) => {
      err += d;
    });
    proc.on('exit', (code) =>
      resolve({ code, out: out.split('\n').filter(Boolean), err: err.split('\n').filter(Boolean) }),
    );
    proc.stdin.end(stdin);
  });
}

describe('ordergate normalize', () => {
  it('writes one order per update, nothing for control frames, and names bad lines', async () => {
    const input = [
      '{"stream":"listening","data":{"streams":["trade_updates"]}}',
      fixture('alpaca_trade_updates_fill_crypto.json'),
      'not json at all',
      '',
      fixture('alpaca_trade_updates_mleg_fill.json'),
    ].join('\n');
    const r = await normalize(['--dialect', 'alpaca', '--account', 'acct-9'], input);
    expect(r.code).toBe(0);
    expect(r.err).toEqual(['line 3: not JSON']);
    const orders = r.out.map((l) => JSON.parse(l));
    expect(orders[0]).toMatchObject({
      account_id: 'acct-9',
      symbol: 'SOLUSD',
      status: 'filled',
      filled_quantity: 1790.86,
    });
    expect(orders.length).toBeGreaterThanOrEqual(2);
    expect(orders.every((o) => o.account_id === 'acct-9')).toBe(true);
  });

  it('reads Kite frames as exchange local time, or in the zone given', async () => {
    const frame = fixture('zerodha_kite_ws_order_message.COMPOSED.json');
    const ist = await normalize(['--dialect', 'kite'], frame);
    const utc = await normalize(['--dialect', 'kite', '--time-zone', 'UTC'], frame);
    const a = JSON.parse(ist.out[0] as string);
    const b = JSON.parse(utc.out[0] as string);
    expect(a.account_id).toBe('default');
    expect(Date.parse(b.updated_at) - Date.parse(a.updated_at)).toBe(5.5 * 3600 * 1000);
  });

  it('exits 1 with --strict when a line is unreadable, and 2 for a bad option', async () => {
    expect((await normalize(['--strict'], 'nope\n')).code).toBe(1);
    expect((await normalize(['--strict'], '')).code).toBe(0);
    const bad = await normalize(['--dialect', 'fix'], '');
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toContain('--dialect must be one of ticker-service, kite, alpaca');
  });
});

describe('normalizeLines', () => {
  it('uses the dialect parser the link uses, with the account and zone given', async () => {
    async function* lines() {
      yield fixture('zerodha_kite_ws_order_realworld_no_data_envelope.json');
      yield '{"type":"message","data":"hello"}';
    }
    const out: string[] = [];
    const err: string[] = [];
    const r = await normalizeLines(
      lines(),
      { dialect: kite, accountId: 'k1', timeZone: 'Asia/Kolkata' },
      (l) => out.push(l),
      (l) => err.push(l),
    );
    expect(r).toEqual({ lines: 2, updates: 1, unreadable: 0 });
    expect(JSON.parse(out[0] as string)).toMatchObject({ account_id: 'k1', order_type: null });
    expect(err).toEqual([]);
  });
});
