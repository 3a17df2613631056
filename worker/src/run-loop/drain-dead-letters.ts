import { isTerminal, JobStatus } from '@warmgen/shared/domain/job-status.ts';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/** Dead letters handled per drain; the rest wait for the next one. */
const deadLettersPerDrain = 50;

/**
 * The dead-letter path: messages the queue gave up on after maxAttempts deliveries. Each
 * job is marked failed with 'max_attempts_exceeded' (failJob without workerId: from any
 * non-terminal state), then the dead letter is acked. Two exceptions:
 * - the job already finished: just ack (the last delivery succeeded after all);
 * - the job is running under a live lease: a healthy worker is still generating it (its
 *   duplicate message ran out of attempts, not the job). Failing it would throw away good
 *   work, and acking would leave no message if that worker then died, so the dead letter
 *   stays for a later drain, by when the lease has ended one way or the other.
 * Errors are logged and leave the dead letter for the next drain. Returns how many failed.
 */
export async function drainDeadLetters(ctx: RunLoopContext): Promise<number> {
  let letters: QueueMessage[];
  try {
    letters = await ctx.queue.pullDeadLetters(deadLettersPerDrain);
  } catch (error) {
    ctx.logger.error({ err: error }, 'dead-letter pull failed');
    return 0;
  }
  let failed = 0;
  for (const letter of letters) {
    try {
      if (await failDeadLetteredJob(ctx, letter)) {
        failed += 1;
      }
    } catch (error) {
      ctx.logger.error({ jobId: letter.jobId, err: error }, 'dead letter left for a later drain');
    }
  }
  return failed;
}

async function failDeadLetteredJob(ctx: RunLoopContext, letter: QueueMessage): Promise<boolean> {
  const { jobId } = letter;
  const nowMs = ctx.now();
  const job = await ctx.store.getJob(jobId);
  if (job !== null && !isTerminal(job.status)) {
    const leased =
      job.status === JobStatus.running &&
      job.leaseExpiresAtMs !== null &&
      job.leaseExpiresAtMs > nowMs;
    if (leased) {
      ctx.logger.info(
        { jobId, leaseOwner: job.leaseOwner },
        'dead letter for a job still leased; left for a later drain',
      );
      return false;
    }
    const failed = await ctx.store.failJob({
      id: jobId,
      error: {
        code: 'max_attempts_exceeded',
        message: `gave up after ${letter.deliveryAttempt} deliveries without a result (${job.attempts} claims)`,
      },
      nowMs,
    });
    if (failed) {
      ctx.metrics.jobSettled('dead_lettered');
      ctx.logger.warn(
        { jobId, deliveryAttempt: letter.deliveryAttempt, attempts: job.attempts },
        'dead-lettered job failed',
      );
    }
    await ctx.queue.ackDeadLetter(letter);
    return failed;
  }
  ctx.logger.info({ jobId, status: job?.status ?? null }, 'dead letter for a finished job acked');
  await ctx.queue.ackDeadLetter(letter);
  return false;
}
