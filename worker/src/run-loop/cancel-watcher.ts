import { JobStatus } from '@warmgen/shared/domain/job-status.ts';
import { type BackgroundTimer, startBackgroundTimer } from './background-timer.ts';
import { AbortReason, abortRow, type BatchRow } from './batch-row.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import { cancelRow, leaveRow } from './settle-row.ts';
import { sleep } from './sleep.ts';

/**
 * Reads generating jobs back every cancelPollMs. A job whose cancelRequested became true is
 * aborted through its row's AbortSignal, so the engine stops it at its next decode step and
 * hands the row's output back at once (onDone; run-batch.ts then marks the job canceled with
 * its text so far), without waiting for the neighbours. If that output has not come within
 * abortSettleMs (an engine stuck in a step), the job is marked canceled without a result, so
 * a cancel stays quick either way. A job that is no longer running
 * under our lease (failed by the dead-letter path, or claimed elsewhere) is aborted as
 * lease_lost and its message settled. Polling, not a change feed, because the store port has
 * none; a few reads per batch every few hundred ms is cheap next to generation.
 */
/** Waits for the engine to hand back the row, at most ms. */
async function outputOrTimeout(row: BatchRow, ms: number): Promise<void> {
  const arrived = new AbortController();
  await Promise.race([row.generated.promise, sleep(ms, arrived.signal)]);
  arrived.abort();
}

export function startCancelWatcher(
  ctx: RunLoopContext,
  rows: readonly BatchRow[],
): BackgroundTimer {
  const checkRow = async (row: BatchRow): Promise<void> => {
    const jobId = row.job.id;
    let job: Awaited<ReturnType<RunLoopContext['store']['getJob']>>;
    try {
      job = await ctx.store.getJob(jobId);
    } catch (error) {
      ctx.logger.warn({ jobId, err: error }, 'cancel check failed');
      return;
    }
    if (row.settled) {
      return;
    }
    if (job === null || job.status !== JobStatus.running || job.leaseOwner !== ctx.workerId) {
      ctx.logger.warn({ jobId, status: job?.status ?? null }, 'job no longer ours; row aborted');
      abortRow(row, AbortReason.leaseLost);
      await leaveRow(ctx, row);
    } else if (job.cancelRequested) {
      ctx.logger.info({ jobId }, 'cancel requested; row aborted');
      abortRow(row, AbortReason.cancel);
      await outputOrTimeout(row, ctx.config.abortSettleMs);
      // A no-op when the row's output came and settled it.
      await cancelRow(ctx, row);
    }
  };
  return startBackgroundTimer(
    ctx.config.cancelPollMs,
    async () => {
      await Promise.all(
        rows.filter((row) => !row.settled && row.abortReason === null).map(checkRow),
      );
    },
    (error) => ctx.logger.error({ err: error }, 'cancel watcher tick failed'),
  );
}
