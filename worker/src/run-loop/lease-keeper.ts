import {
  type BackgroundTimer,
  startBackgroundTimer,
} from '@warmgen/shared/lifecycle/background-timer.ts';
import { AbortReason, abortRow, type BatchRow } from './batch-row.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/**
 * Keeps the leases of claimed rows alive: every leaseRenewMs, the store lease
 * (renewLease) and the queue lease (extendLease) of each row whose fate is not written yet
 * (running, or settling while settle() retries a failed write). A renewal the store
 * refuses means another worker claimed the job after our lease expired: a running row is
 * aborted as lease_lost (its result could no longer be recorded; run-row.ts leaves the job
 * alone), and a settling row's retries stop.
 * Errors are logged, never thrown; one failed renewal is survivable: renewals come three
 * per lease.
 */
export function startLeaseKeeper(
  ctx: RunLoopContext,
  rows: () => Iterable<BatchRow>,
): BackgroundTimer {
  const { leaseMs, leaseRenewMs } = ctx.config;
  const renewRow = async (row: BatchRow): Promise<void> => {
    const jobId = row.job.id;
    const renewedAtMs = ctx.now();
    const [stored, queued] = await Promise.allSettled([
      ctx.store.renewLease({ id: jobId, workerId: ctx.workerId, leaseMs, nowMs: renewedAtMs }),
      ctx.queue.extendLease(row.message, leaseMs),
    ]);
    if (stored.status === 'rejected') {
      ctx.logger.warn({ jobId, err: stored.reason }, 'store lease renewal failed');
    } else if (stored.value) {
      row.leaseHeldUntilMs = renewedAtMs + leaseMs;
    } else {
      row.leaseHeldUntilMs = 0;
      if (!row.settled) {
        ctx.logger.warn({ jobId }, 'store lease lost to another worker; row aborted');
        abortRow(row, AbortReason.leaseLost);
      }
    }
    if (queued.status === 'rejected') {
      ctx.logger.warn({ jobId, err: queued.reason }, 'queue lease extension failed');
    }
  };
  return startBackgroundTimer(
    leaseRenewMs,
    async () => {
      const live = [...rows()].filter(
        (row) =>
          !row.written && row.leaseHeldUntilMs > 0 && row.abortReason !== AbortReason.leaseLost,
      );
      await Promise.all(live.map(renewRow));
      if (live.length > 0) {
        ctx.logger.debug({ rows: live.length }, 'leases renewed');
      }
    },
    (error) => ctx.logger.error({ err: error }, 'lease keeper tick failed'),
  );
}
