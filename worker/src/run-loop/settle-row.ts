import { type JobError, type JobResult, queuedSinceMs } from '@warmgen/shared/domain/job.ts';
import type { GenerationOutput } from '../engine/generation-engine.ts';
import type { BatchRow } from './batch-row.ts';
import { dropOrLeaveMessage } from './drop-or-leave-message.ts';
import { ackMessage, nackMessage } from './message-acks.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import { writeWhileLeased } from './write-while-leased.ts';

/**
 * Writing a row's fate, for run-row.ts's settle() (which decides it): first the store (a conditional write, the source of truth), then
 * the queue. The invariant: a message is acked only after its job's terminal state is
 * written, and every claimed row is settled exactly once (success, failure, cancel or
 * release). A store write that throws is retried while the lease is held
 * (write-while-leased.ts); once the lease is gone the message is left alone: our store
 * lease and queue lease then expire and the job runs again elsewhere.
 */

/** Marks the row settled; false when something settled it already. */
function takeRow(row: BatchRow): boolean {
  if (row.settled) {
    return false;
  }
  row.settled = true;
  return true;
}

function toJobResult(row: BatchRow, output: GenerationOutput): JobResult {
  return {
    text: output.text,
    promptTokens: output.promptTokens,
    completionTokens: output.completionTokens,
    finishReason: output.finishReason,
    timings: {
      queueMs: Math.max(0, row.claimedAtMs - queuedSinceMs(row.job)),
      generateMs: output.timings.generateMs,
      tokensPerSecond: output.timings.tokensPerSecond,
    },
  };
}

export async function completeRow(
  ctx: RunLoopContext,
  row: BatchRow,
  output: GenerationOutput,
): Promise<void> {
  if (!takeRow(row)) {
    return;
  }
  const result = toJobResult(row, output);
  const written = await writeWhileLeased(ctx, row, 'completeJob', () =>
    ctx.store.completeJob({ id: row.job.id, workerId: ctx.workerId, result, nowMs: ctx.now() }),
  );
  if (written === null) {
    return;
  }
  if (!written) {
    ctx.logger.warn({ jobId: row.job.id }, 'result not recorded: the job is no longer ours');
    await dropOrLeaveMessage(ctx, row.message);
    return;
  }
  ctx.metrics.jobSettled('succeeded');
  ctx.metrics.jobCompleted(output.completionTokens, output.timings.tokensPerSecond);
  ctx.logger.info(
    {
      jobId: row.job.id,
      finishReason: output.finishReason,
      promptTokens: output.promptTokens,
      completionTokens: output.completionTokens,
      ...result.timings,
    },
    'job succeeded',
  );
  await ackMessage(ctx, row.message);
}

/** With the stopped row's output, its text so far is kept as the job's result. */
export async function cancelRow(
  ctx: RunLoopContext,
  row: BatchRow,
  output?: GenerationOutput,
): Promise<void> {
  if (!takeRow(row)) {
    return;
  }
  const result = output === undefined ? undefined : toJobResult(row, output);
  const written = await writeWhileLeased(ctx, row, 'markCanceled', () =>
    ctx.store.markCanceled({ id: row.job.id, workerId: ctx.workerId, nowMs: ctx.now(), result }),
  );
  if (written === null) {
    return;
  }
  if (!written) {
    await dropOrLeaveMessage(ctx, row.message);
    return;
  }
  ctx.metrics.jobSettled('canceled');
  ctx.logger.info(
    { jobId: row.job.id, completionTokens: output?.completionTokens ?? null },
    'job canceled',
  );
  await ackMessage(ctx, row.message);
}

export async function failRow(ctx: RunLoopContext, row: BatchRow, error: JobError): Promise<void> {
  if (!takeRow(row)) {
    return;
  }
  const written = await writeWhileLeased(ctx, row, 'failJob', () =>
    ctx.store.failJob({ id: row.job.id, error, nowMs: ctx.now(), workerId: ctx.workerId }),
  );
  if (written === null) {
    return;
  }
  if (!written) {
    await dropOrLeaveMessage(ctx, row.message);
    return;
  }
  ctx.metrics.jobSettled('failed');
  ctx.logger.warn({ jobId: row.job.id, code: error.code, reason: error.message }, 'job failed');
  await ackMessage(ctx, row.message);
}

/**
 * Hands the job back: store to queued, message nacked for a prompt redelivery (which counts
 * as a delivery attempt, so a job that keeps failing ends on the dead-letter path). The nack
 * happens even when the store write fails: the redelivery then waits for our lease to expire.
 */
export async function releaseRow(ctx: RunLoopContext, row: BatchRow, why: string): Promise<void> {
  if (!takeRow(row)) {
    return;
  }
  const released = await writeWhileLeased(ctx, row, 'releaseJob', async () => {
    await ctx.store.releaseJob({ id: row.job.id, workerId: ctx.workerId });
    return true;
  });
  if (released !== null) {
    ctx.metrics.jobSettled('released');
    ctx.logger.info({ jobId: row.job.id, attempts: row.job.attempts, why }, 'job released');
  }
  await nackMessage(ctx, row.message);
}

/** Lease lost while generating: the job is someone else's; only our message is ours. */
export async function leaveRow(ctx: RunLoopContext, row: BatchRow): Promise<void> {
  if (!takeRow(row)) {
    return;
  }
  await dropOrLeaveMessage(ctx, row.message);
}
