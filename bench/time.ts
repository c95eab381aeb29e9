/**
 * Timestamps that agree across the bench's processes. performance.timeOrigin is estimated from
 * the wall clock separately in each process: measured on this machine, two processes disagree by
 * up to ~0.1 ms, as large as the latencies we report. process.hrtime reads CLOCK_MONOTONIC, one
 * clock for the whole machine, so a send time taken in the upstream process can be subtracted
 * from a receive time taken in a client worker with nanosecond agreement.
 */

/** Milliseconds on the machine-wide monotonic clock (fractional, ns resolution). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rejects with a labelled error when `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `everyMs` until it returns true; throws after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, label: string) {
  const end = nowMs() + ms;
  while (nowMs() < end) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${label}: not reached within ${ms} ms`);
}
