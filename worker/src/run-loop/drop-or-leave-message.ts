import { isTerminal } from '@warmgen/shared/domain/job-status.ts';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import { ackMessage } from './message-acks.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/**
 * For a message whose job this worker does not hold (claim refused, or the lease was lost
 * while generating). The store decides:
 * - job missing or terminal: ack and drop the message (a redelivery of finished work);
 * - job still live, leased by another worker: leave the message alone. Not a nack: a nack
 *   redelivers at once, so the message would bounce between workers, burning delivery
 *   attempts until the queue dead-letters a job that is running fine. Left alone, it comes
 *   back when its queue lease expires (one leaseMs later, a natural back-off); by then the
 *   other worker has finished it (drop) or died and let its store lease expire (claim).
 *   Unless the holder's store lease runs out sooner than that: then the message comes back
 *   just after it does (comeBackMs). The holder renews both leases together, so a message
 *   redelivered from a dead holder finds its store lease a moment from expiry; left for a
 *   whole lease, the job would run again two leases after the death instead of one.
 */
/** How long after the holder's store lease runs out its message comes back. */
export const comeBackMs = 1_000;

export async function dropOrLeaveMessage(
  ctx: RunLoopContext,
  message: QueueMessage,
): Promise<'dropped' | 'left'> {
  const { jobId } = message;
  let job: Awaited<ReturnType<RunLoopContext['store']['getJob']>>;
  try {
    job = await ctx.store.getJob(jobId);
  } catch (error) {
    ctx.logger.error({ jobId, err: error }, 'store read failed; message left to expire');
    return 'left';
  }
  if (job === null || isTerminal(job.status)) {
    const reason = job === null ? 'missing' : 'terminal';
    ctx.metrics.messageDropped(reason);
    ctx.logger.info(
      { jobId, status: job?.status ?? null, deliveryAttempt: message.deliveryAttempt },
      job === null ? 'message for a missing job dropped' : 'redelivery of a finished job dropped',
    );
    await ackMessage(ctx, message);
    return 'dropped';
  }
  ctx.logger.info(
    {
      jobId,
      status: job.status,
      leaseOwner: job.leaseOwner,
      leaseExpiresAtMs: job.leaseExpiresAtMs,
    },
    'job held by another worker; message left to expire',
  );
  // A lease that ran out between the refused claim and this read (the claim was a moment
  // early: CI saw the read 46 ms after expiry) comes back after comeBackMs too; left for a
  // whole message lease, the job would wait one lease more.
  if (job.leaseExpiresAtMs === null) {
    return 'left';
  }
  const untilFreeMs = Math.max(0, job.leaseExpiresAtMs - ctx.now());
  if (untilFreeMs + comeBackMs < ctx.config.leaseMs) {
    await ctx.queue.extendLease(message, untilFreeMs + comeBackMs).catch((error: unknown) => {
      // Harmless: the message then comes back when its own lease expires.
      ctx.logger.warn({ jobId, err: error }, 'could not shorten the message lease');
    });
  }
  return 'left';
}
