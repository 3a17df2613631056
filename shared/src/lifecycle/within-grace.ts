import { sleep } from './sleep.ts';

/**
 * Waits for `work` at most `graceMs`: true when it settled in time, false when the grace
 * period ran out first (the caller then aborts or hands back what is left). The grace timer
 * is cleared either way, so a finished shutdown does not wait out the timer.
 */
export async function withinGrace(work: Promise<unknown>, graceMs: number): Promise<boolean> {
  const graceOver = new AbortController();
  try {
    return await Promise.race([
      work.then(() => true),
      sleep(graceMs, graceOver.signal).then(() => false),
    ]);
  } finally {
    graceOver.abort();
  }
}
