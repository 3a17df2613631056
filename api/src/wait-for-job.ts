import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from '@warmgen/shared/domain/job.ts';
import { isTerminal } from '@warmgen/shared/domain/job-status.ts';

/**
 * Long-poll: re-reads a job until it is terminal, the time is up, or the signal fires
 * (the client went away or the server is closing). The store is polled with a growing
 * delay: fast answers for short jobs, few reads for long ones.
 */
export interface PollTuning {
  firstDelayMs: number;
  maxDelayMs: number;
  growthFactor: number;
}

export async function waitForTerminalJob(
  readJob: () => Promise<Job | null>,
  initial: Job | null,
  timeoutMs: number,
  signal: AbortSignal,
  tuning: PollTuning,
): Promise<Job | null> {
  const deadline = performance.now() + timeoutMs;
  let delayMs = tuning.firstDelayMs;
  let job = initial;
  while (job !== null && !isTerminal(job.status) && !signal.aborted) {
    const leftMs = deadline - performance.now();
    if (leftMs <= 0) {
      break;
    }
    try {
      await sleep(Math.min(delayMs, leftMs), undefined, { signal });
    } catch {
      // Aborted: answer with what we have (nobody may be listening, which is fine).
      break;
    }
    delayMs = Math.min(delayMs * tuning.growthFactor, tuning.maxDelayMs);
    job = await readJob();
  }
  return job;
}
