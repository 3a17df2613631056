import { JobStatus } from '@warmgen/shared/domain/job-status.ts';
import { type BackgroundTimer, startBackgroundTimer } from './background-timer.ts';
import { AbortReason, abortRow, type BatchRow } from './batch-row.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import { cancelRow, leaveRow } from './settle-row.ts';

/**
 * Reads generating jobs back every cancelPollMs. A job whose cancelRequested became true is
 * aborted through its row's AbortSignal, so the engine stops it at its next decode step, and
 * is marked canceled at once: generate() returns only when its slowest row is done, and the
 * user who canceled should not wait for the neighbours. A job that is no longer running
 * under our lease (failed by the dead-letter path, or claimed elsewhere) is aborted as
 * lease_lost and its message settled. Polling, not a change feed, because the store port has
 * none; a few reads per batch every few hundred ms is cheap next to generation.
 */
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
