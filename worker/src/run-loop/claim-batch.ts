import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import { type BatchRow, createBatchRow } from './batch-row.ts';
import { dropOrLeaveMessage } from './drop-or-leave-message.ts';
import { classifyError, coerceError, errorCode } from './job-errors.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import { cancelRow, failRow, releaseRow } from './settle-row.ts';

/**
 * Claims the job behind each pulled message (a conditional write in the store) and admits
 * it to generation, or settles it on the spot. Returns the rows to generate.
 *
 *   second message for a job already in this batch  left alone (see below)
 *   claim refused                                   dropOrLeaveMessage: ack if finished
 *   claim threw (store unreachable)                 left alone: the lease expiry backs off
 *   claimed more than maxAttempts times             failed 'max_attempts_exceeded'
 *   cancel already requested                        canceled without generating
 *   engine.validate() refuses it                    failed 'invalid_request', never retried
 *
 * A duplicate within one batch is neither acked nor nacked: with Pub/Sub, acking one
 * delivery of a message can ack the other, and a later nack of a released job would then
 * be lost. Left alone, it returns after its lease and finds the job finished.
 */
export async function claimBatch(
  ctx: RunLoopContext,
  messages: readonly QueueMessage[],
): Promise<BatchRow[]> {
  const seen = new Set<string>();
  const unique: QueueMessage[] = [];
  for (const message of messages) {
    if (seen.has(message.jobId)) {
      ctx.logger.debug({ jobId: message.jobId }, 'duplicate message in one batch left alone');
      continue;
    }
    seen.add(message.jobId);
    unique.push(message);
  }
  const rows = await Promise.all(unique.map((message) => claimOne(ctx, message)));
  return rows.filter((row): row is BatchRow => row !== null);
}

async function claimOne(ctx: RunLoopContext, message: QueueMessage): Promise<BatchRow | null> {
  const { jobId } = message;
  const claimedAtMs = ctx.now();
  let job: Awaited<ReturnType<RunLoopContext['store']['claimJob']>>;
  try {
    job = await ctx.store.claimJob(jobId, ctx.workerId, ctx.config.leaseMs, claimedAtMs);
  } catch (error) {
    ctx.logger.error({ jobId, err: error }, 'claim failed; message left to expire');
    return null;
  }
  if (job === null) {
    await dropOrLeaveMessage(ctx, message);
    return null;
  }
  const row = createBatchRow(job, message, claimedAtMs);
  ctx.metrics.jobClaimed(Math.max(0, claimedAtMs - job.createdAtMs));
  ctx.logger.info(
    { jobId, attempts: job.attempts, deliveryAttempt: message.deliveryAttempt },
    'job claimed',
  );

  if (job.attempts > ctx.config.maxAttempts) {
    await failRow(ctx, row, {
      code: 'max_attempts_exceeded',
      message: `claimed ${job.attempts} times, more than the ${ctx.config.maxAttempts} allowed`,
    });
    return null;
  }
  if (job.cancelRequested) {
    await cancelRow(ctx, row);
    return null;
  }
  let problem: string | null;
  try {
    problem = ctx.engine.validate({ prompt: job.prompt, params: job.params });
  } catch (thrown) {
    const error = coerceError(thrown);
    if (classifyError(error) === 'retryable') {
      await releaseRow(ctx, row, `validate threw: ${error.message}`);
    } else {
      await failRow(ctx, row, { code: errorCode(error), message: error.message });
    }
    return null;
  }
  if (problem !== null) {
    await failRow(ctx, row, { code: 'invalid_request', message: problem });
    return null;
  }
  return row;
}
