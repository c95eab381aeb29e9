/**
 * Decimal arithmetic for prices and quantities (DESIGN.md "Numbers"): results are rounded to the
 * inputs' precision, so 0.015 - 0.005 is 0.01 and not 0.009999999999999998.
 */

/** Digits after the decimal point in the shortest round-trip representation of n. */
function decimals(n: number): number {
  const s = String(n);
  const e = s.indexOf('e-');
  if (e >= 0) {
    const mantissa = s.slice(0, e);
    const dot = mantissa.indexOf('.');
    return Number(s.slice(e + 2)) + (dot >= 0 ? mantissa.length - dot - 1 : 0);
  }
  const dot = s.indexOf('.');
  return dot >= 0 ? s.length - dot - 1 : 0;
}

/** a - b, exact to the larger precision of the two. */
export function subtract(a: number, b: number): number {
  const d = Math.min(Math.max(decimals(a), decimals(b)), 15);
  const f = 10 ** d;
  return Math.round(a * f - b * f) / f;
}

/**
 * Parses a broker number: a JSON number, or a decimal string such as Alpaca's "0.0123".
 * Returns null for absent, empty or non-numeric input.
 */
export function parseNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string' || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
