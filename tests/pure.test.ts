import { describe, expect, it } from 'vitest';
import { createFrameArena } from '../src/downstream/frame.js';
import { createHistory } from '../src/hub/history.js';
import { parseNumber, subtract } from '../src/orders/decimal.js';
import { isoTime, toIsoUtc } from '../src/orders/time.js';
import { backoff } from '../src/upstream/backoff.js';

describe('backoff', () => {
  it('grows exponentially from the floor and never passes the cap', () => {
    expect(backoff(0, 1000, 60_000, 0)).toBe(1000);
    expect(backoff(0, 1000, 60_000, 0.999_999)).toBe(2000);
    expect(backoff(3, 1000, 60_000, 0.999_999)).toBe(16_000);
    expect(backoff(10, 1000, 60_000, 0.999_999)).toBe(60_000);
    expect(backoff(1000, 1000, 60_000, 0.5)).toBe(30_500);
  });
  it('jitters every attempt: the same attempt spreads over its whole window', () => {
    const delays = [0, 0.25, 0.5, 0.75].map((r) => backoff(5, 1000, 60_000, r));
    expect(new Set(delays).size).toBe(4);
    expect(Math.min(...delays)).toBe(1000);
  });
});

describe('decimal', () => {
  it.each([
    [0.015, 0.005, 0.01],
    [10, 4, 6],
    [1.1, 0.2, 0.9],
    [0.3, 0.1, 0.2],
    [100, 0.0001, 99.9999],
  ])('%d - %d = %d', (a, b, out) => {
    expect(subtract(a, b)).toBe(out);
  });
  it.each([
    ['0.0123', 0.0123],
    [5, 5],
    ['', null],
    ['abc', null],
    [null, null],
    [undefined, null],
    [Number.NaN, null],
  ])('parseNumber(%j) = %j', (input, out) => {
    expect(parseNumber(input)).toBe(out);
  });
});

describe('toIsoUtc', () => {
  it.each([
    ['2021-05-19 14:35:50', 'Asia/Kolkata', '2021-05-19T09:05:50.000Z'],
    ['2026-11-22T09:15:00.123Z', 'Asia/Kolkata', '2026-11-22T09:15:00.123Z'],
    ['2026-11-22T09:15:00+05:30', 'UTC', '2026-11-22T03:45:00.000Z'],
    ['2026-03-08 03:30:00', 'America/New_York', '2026-03-08T07:30:00.000Z'],
    ['2026-07-01 12:00:00', 'America/New_York', '2026-07-01T16:00:00.000Z'],
    ['not a time', 'UTC', null],
    ['', 'UTC', null],
  ])('%s in %s', (input, zone, out) => {
    expect(toIsoUtc(input, zone)).toBe(out);
  });

  it('gives the same answer for the same stamp read in another zone (the memo is per zone)', () => {
    expect(toIsoUtc('2021-05-19 14:35:50', 'Asia/Kolkata')).toBe('2021-05-19T09:05:50.000Z');
    expect(toIsoUtc('2021-05-19 14:35:50', 'UTC')).toBe('2021-05-19T14:35:50.000Z');
    expect(toIsoUtc('2021-05-19 14:35:50', 'Asia/Kolkata')).toBe('2021-05-19T09:05:50.000Z');
  });
});

describe('isoTime', () => {
  it.each([
    0, 1, 999, 1000, 1001, 1_733_111_100_123, 1_733_111_100_999, -1, -999, -1000, -0.5, 1.7,
    -62_167_219_200_000, 253_402_300_799_999, 253_402_300_800_000, -62_167_219_200_001, 8.64e15,
  ])('isoTime(%d) is new Date(ms).toISOString()', (ms) => {
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('keeps the milliseconds right while the second is reused', () => {
    const base = Date.UTC(2026, 10, 22, 9, 15, 0);
    for (let ms = base - 1500; ms < base + 2500; ms += 7)
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws for NaN as toISOString does', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});

describe('history', () => {
  const frames = createFrameArena();
  const history = createHistory(3);
  for (let seq = 1; seq <= 5; seq++) history.push(seq, `O${seq}`, frames.frame(`{"seq":${seq}}`), 1000 + seq);
  it('returns what follows since, gap-free, with the frames as they were', () => {
    const after2 = history.after(2);
    expect(after2?.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(after2?.map((m) => m.orderId)).toEqual(['O3', 'O4', 'O5']);
    expect(after2?.map((m) => m.receivedAt)).toEqual([1003, 1004, 1005]);
    expect(after2?.map((m) => m.frame.subarray(2).toString())).toEqual([
      '{"seq":3}',
      '{"seq":4}',
      '{"seq":5}',
    ]);
    expect(history.after(4)?.map((m) => m.seq)).toEqual([5]);
  });
  it('refuses when history no longer reaches back, or has nothing after since', () => {
    expect(history.after(1)).toBeNull();
    expect(history.after(0)).toBeNull();
    expect(history.after(5)).toBeNull();
  });
  it('keeps the bytes of frames it still holds while the arena moves on', () => {
    const h = createHistory(1000);
    for (let seq = 1; seq <= 3000; seq++)
      h.push(seq, null, frames.frame(`{"seq":${seq},"pad":"${'x'.repeat(seq % 500)}"}`), seq);
    const kept = h.after(2000) ?? [];
    expect(kept).toHaveLength(1000);
    for (const m of kept)
      expect(JSON.parse(m.frame.subarray(m.frame[1] === 126 ? 4 : 2).toString()).seq).toBe(m.seq);
  });
  it('forgets what came before a jump in seq', () => {
    const h = createHistory(5);
    h.push(1, null, frames.frame('1'), 0);
    h.push(2, null, frames.frame('2'), 0);
    h.push(7, null, frames.frame('7'), 0);
    expect(h.after(1)).toBeNull();
    expect(h.after(6)?.map((m) => m.seq)).toEqual([7]);
  });
  it('a zero-capacity history recovers nothing', () => {
    const empty = createHistory(0);
    empty.push(1, null, frames.frame('x'), 0);
    expect(empty.after(0)).toBeNull();
  });
});
