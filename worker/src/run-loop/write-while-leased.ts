import { sleep } from '@warmgen/shared/lifecycle/sleep.ts';
import type { BatchRow } from './batch-row.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/**
 * Writes a row's fate, retrying a write that throws (a full disk, a store that is down)
 * with back-off for as long as this worker still holds the job's lease, which the lease
 * keeper goes on renewing meanwhile. Without it, one failed final write left the job
 * `running` until its lease and its message expired and another attempt ran it from the
 * start (110 s on a full disk whose space came back after a few seconds); with it, the
 * job is finished within one back-off step of the store taking writes again, and the
 * work already done is kept.
 *
 * Resolves with the write's answer, or `null` once the lease is gone (the store refused a
 * renewal, or it would run out before the next try): the job and message are then left
 * for their leases to expire, as before. A write that is refused (false) is not retried:
 * the store answered, and the job is no longer ours.
 */
export async function writeWhileLeased(
  ctx: RunLoopContext,
  row: BatchRow,
  write: string,
  attempt: () => Promise<boolean>,
): Promise<boolean | null> {
  const { settleRetryFirstMs, settleRetryMaxMs } = ctx.config;
  for (let tries = 1, delayMs = settleRetryFirstMs; ; tries++) {
    try {
      const written = await attempt();
      if (tries > 1) {
        ctx.logger.info({ jobId: row.job.id, write, tries }, 'store write succeeded on a retry');
      }
      return written;
    } catch (error) {
      if (ctx.now() + delayMs >= row.leaseHeldUntilMs) {
        ctx.logger.error(
          { jobId: row.job.id, write, tries, err: error },
          'store write failed and the lease is running out; job and message left for their leases to expire',
        );
        return null;
      }
      ctx.logger.warn(
        { jobId: row.job.id, write, tries, retryInMs: delayMs, err: error },
        'store write failed; retrying while the lease is held',
      );
    }
    await sleep(delayMs);
    delayMs = Math.min(settleRetryMaxMs, delayMs * 2);
  }
}
