/**
 * Reconnect delay: exponential growth with jitter on every attempt, so that a hundred links
 * dropped by one broker outage don't reconnect in step. This is the "full jitter" scheme of
 * AWS's "Exponential Backoff And Jitter" (Brooker, 2015), kept above a floor: the delay is
 * uniform in [min, min(max, min * 2^(attempt+1))]. Pure, like centrifuge-js's backoff().
 */

/** Delay in ms before reconnect attempt `attempt` (0 for the first retry), given random in [0, 1). */
export function backoff(attempt: number, minMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt + 1, 30));
  return Math.round(minMs + random * (ceiling - minMs));
}
