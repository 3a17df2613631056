import { JobStatus } from '@warmgen/shared/domain/job-status.ts';
import {
  type BackgroundTimer,
  startBackgroundTimer,
} from '@warmgen/shared/lifecycle/background-timer.ts';
import { AbortReason, abortRow, type BatchRow } from './batch-row.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/**
 * Reads the running jobs back every cancelPollMs. A job whose cancelRequested became true
 * is aborted as `cancel`, so the engine stops it at its next decode step; a job no longer
 * running under our lease (failed by the dead-letter path, or claimed elsewhere) is aborted
 * as `lease_lost`. It only asks: run-row.ts settles the row. Polling, not a change feed,
 * because the store port has none; a few reads every few hundred ms is cheap next to
 * generation.
 */
export function startCancelWatcher(
  ctx: RunLoopContext,
  rows: () => Iterable<BatchRow>,
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
    } else if (job.cancelRequested) {
      ctx.logger.info({ jobId }, 'cancel requested; row aborted');
      abortRow(row, AbortReason.cancel);
    }
  };
  return startBackgroundTimer(
    ctx.config.cancelPollMs,
    async () => {
      const live = [...rows()].filter((row) => !row.settled && row.abortReason === null);
      await Promise.all(live.map(checkRow));
    },
    (error) => ctx.logger.error({ err: error }, 'cancel watcher tick failed'),
  );
}
