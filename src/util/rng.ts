/**
 * Seedable randomness. mulberry32 (Tommy Ettinger, public domain) is small, fast and good enough
 * for jitter and simulated order flow; it is not for anything secret.
 */

export type Random = () => number;

/** A deterministic generator of floats in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
