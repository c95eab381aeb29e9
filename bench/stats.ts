/**
 * Latency histograms and percentiles. A client worker records every sample into a fixed
 * histogram (5 µs bins below 10 ms, 1 ms bins up to 1 s, one overflow bin), so that half a
 * million samples cost 24 KB and merge by addition across workers.
 */

const FINE_MS = 10;
const FINE_PER_MS = 200;
const FINE_BINS = FINE_MS * FINE_PER_MS;
const COARSE_BINS = 990;
export const HISTOGRAM_BINS = FINE_BINS + COARSE_BINS + 1;

export interface Histogram {
  counts: number[];
  max: number;
  total: number;
}

export function createHistogram(): Histogram {
  return { counts: new Array<number>(HISTOGRAM_BINS).fill(0), max: 0, total: 0 };
}

function binOf(ms: number): number {
  if (ms < FINE_MS) return Math.max(0, Math.floor(ms * FINE_PER_MS));
  return Math.min(HISTOGRAM_BINS - 1, FINE_BINS + Math.floor(ms - FINE_MS));
}

/** The upper edge of a bin, ms (the overflow bin reports the largest sample). */
function upperEdge(bin: number, max: number): number {
  if (bin < FINE_BINS) return (bin + 1) / FINE_PER_MS;
  if (bin < HISTOGRAM_BINS - 1) return FINE_MS + (bin - FINE_BINS) + 1;
  return max;
}

export function record(h: Histogram, ms: number): void {
  const bin = binOf(ms);
  h.counts[bin] = (h.counts[bin] ?? 0) + 1;
  h.total++;
  if (ms > h.max) h.max = ms;
}

export function merge(into: Histogram, from: Histogram): void {
  for (let i = 0; i < HISTOGRAM_BINS; i++) into.counts[i] = (into.counts[i] ?? 0) + (from.counts[i] ?? 0);
  into.total += from.total;
  into.max = Math.max(into.max, from.max);
}

/** The q-quantile (0..1) as a bin's upper edge, capped at the largest sample; 0 when empty. */
export function quantile(h: Histogram, q: number): number {
  if (h.total === 0) return 0;
  const rank = Math.ceil(q * h.total);
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) {
    seen += h.counts[i] ?? 0;
    if (seen >= rank) return Math.min(upperEdge(i, h.max), h.max);
  }
  return h.max;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
}

export function summarize(h: Histogram): LatencySummary {
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    p50: r(quantile(h, 0.5)),
    p99: r(quantile(h, 0.99)),
    p999: r(quantile(h, 0.999)),
    max: r(h.max),
    samples: h.total,
  };
}

/** Median of a small sample (batch timings). */
export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** a / b, or 0 when b is not a positive number (keeps every reported field finite). */
export function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) ? Math.round((a / b) * 1000) / 1000 : 0;
}
