/**
 * Broker timestamps to ISO 8601 UTC. Kite's timestamps carry no zone: they are exchange local
 * time (DESIGN.md "Time zones"), converted here with the account's IANA time zone.
 */

const zoned = /([zZ]|[+-]\d{2}:?\d{2})$/;
const localForm = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const QUARTER_HOUR = 900_000;
const offsets = new Map<string, number>();

/**
 * The zone's offset from UTC, in ms, at the instant utcMs. Cached per zone and quarter hour:
 * offsets are whole quarter hours and change only at quarter-hour-aligned instants, so the cache
 * is exact, and the hot path (every Kite timestamp) skips Intl after the first frame.
 */
function offsetAt(utcMs: number, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(utcMs / QUARTER_HOUR)}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  if (offsets.size >= 10_000) offsets.clear();
  const offset = computeOffset(utcMs, timeZone);
  offsets.set(key, offset);
  return offset;
}

function computeOffset(utcMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(utcMs)) parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** True when the IANA zone name is one this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

// 0000-01-01T00:00:00.000Z up to (not including) 10000-01-01: the range toISOString writes with a
// four-digit year; anything outside it (or NaN) goes to toISOString as it is.
const FIRST_MS = -62_167_219_200_000;
const END_MS = 253_402_300_800_000;
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * `new Date(ms).toISOString()`, several times cheaper on the hot path: the text up to the second
 * ("2024-12-02T03:45:00.") is computed once per second and reused, only the milliseconds change.
 * Every frame needs two or three of these (receive time, broker time), so this is worth having.
 */
export function isoTime(ms: number): string {
  const whole = Math.trunc(ms);
  if (!(whole >= FIRST_MS && whole < END_MS)) return new Date(ms).toISOString();
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = whole - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/**
 * Converts a broker timestamp to ISO 8601 UTC. A string with a zone or offset is taken as is; a
 * zoneless "YYYY-MM-DD HH:MM:SS" is read as local time in `timeZone`. Returns null when the
 * input is absent or unreadable.
 */
export function toIsoUtc(value: unknown, timeZone: string): string | null {
  if (typeof value !== 'string') return null;
  // Consecutive updates often carry the same stamp (Kite's are whole seconds): one-entry memo.
  if (value === last.value && timeZone === last.timeZone) return last.iso;
  const iso = convert(value, timeZone);
  last = { value, timeZone, iso };
  return iso;
}

let last: { value: string; timeZone: string; iso: string | null } = { value: '', timeZone: '', iso: null };

function convert(value: string, timeZone: string): string | null {
  const s = value.trim();
  if (s === '') return null;
  if (zoned.test(s)) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? null : isoTime(ms);
  }
  const m = localForm.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  const ms = frac ? Math.round(Number(frac) * 1000) : 0;
  // Two passes settle the offset across a DST change (the first guess may sit on the wrong side).
  let utc = wall - offsetAt(wall, timeZone);
  utc = wall - offsetAt(utc, timeZone);
  return isoTime(utc + ms);
}
