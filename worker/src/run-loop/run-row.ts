import { type JobError, queuedSinceMs } from '@warmgen/shared/domain/job.ts';
import { sleep } from '@warmgen/shared/lifecycle/sleep.ts';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import type { GenerationOutput } from '../engine/generation-engine.ts';
import { AbortReason, type BatchRow, createBatchRow } from './batch-row.ts';
import { dropOrLeaveMessage } from './drop-or-leave-message.ts';
import { classifyError, coerceError, errorCode } from './job-errors.ts';
import { liveTextOf } from './live-text-of.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import { cancelRow, completeRow, failRow, leaveRow, releaseRow } from './settle-row.ts';

/**
 * A job's way through this worker, from its queue message to its settled fate, in order:
 *
 *   1. claimRow    the store's conditional claim; a refused claim touches only the message
 *   2. admitRow    checks before any compute: too many attempts, cancel already requested,
 *                  a request the engine refuses
 *   3. generateRow the row joins the engine's running batch; the watchers (cancel, lease,
 *                  shutdown) may only ask it to stop, through abortRow(row, reason)
 *   4. settle      the ONE place a row's fate is decided and written, once; a write that
 *                  throws is retried while the lease is held (write-while-leased.ts)
 *
 * What settle() decides, from the row's outcome and why it was aborted (if it was):
 *
 *   finished (length, stop, EOS), whatever the abort   succeeded (it did all its work)
 *   abort: cancel                                      canceled, with its text so far
 *   abort: shutdown                                    released (another worker runs it)
 *   abort: lease lost                                  left (someone else holds the job)
 *   stopped by the engine without an abort             released
 *   engine error, retryable                            released
 *   engine error, permanent                            failed
 *   rejected before generating (step 2)                failed, or canceled
 *   aborted, but the engine did not hand it back       as its abort reason says, without
 *     within abortSettleMs (stuck in a step)            a result (the late one is refused)
 */
export type RowOutcome =
  | { readonly kind: 'generated'; readonly output: GenerationOutput }
  | { readonly kind: 'error'; readonly error: Error; readonly during?: 'validate' }
  | { readonly kind: 'rejected'; readonly error: JobError }
  | { readonly kind: 'canceled-before-start' }
  | { readonly kind: 'stuck' };

/** Claims the message's job; null (message settled or left alone) when it is not ours to run. */
export async function claimRow(
  ctx: RunLoopContext,
  message: QueueMessage,
): Promise<BatchRow | null> {
  const { jobId } = message;
  const claimedAtMs = ctx.now();
  let job: Awaited<ReturnType<RunLoopContext['store']['claimJob']>>;
  try {
    job = await ctx.store.claimJob({
      id: jobId,
      workerId: ctx.workerId,
      leaseMs: ctx.config.leaseMs,
      nowMs: claimedAtMs,
    });
  } catch (error) {
    // Store unreachable: the message comes back after its lease, a natural back-off.
    ctx.logger.error({ jobId, err: error }, 'claim failed; message left to expire');
    return null;
  }
  if (job === null) {
    await dropOrLeaveMessage(ctx, message);
    return null;
  }
  ctx.metrics.jobClaimed(Math.max(0, claimedAtMs - queuedSinceMs(job)));
  ctx.logger.info(
    { jobId, attempts: job.attempts, deliveryAttempt: message.deliveryAttempt },
    'job claimed',
  );
  return createBatchRow(job, message, claimedAtMs, ctx.config.leaseMs);
}

/** The reason a claimed row must not generate, or null when it may. */
export function admitRow(ctx: RunLoopContext, row: BatchRow): RowOutcome | null {
  const { job } = row;
  if (job.attempts > ctx.config.maxAttempts) {
    return {
      kind: 'rejected',
      error: {
        code: 'max_attempts_exceeded',
        message: `claimed ${job.attempts} times, more than the ${ctx.config.maxAttempts} allowed`,
      },
    };
  }
  if (job.cancelRequested) {
    return { kind: 'canceled-before-start' };
  }
  let problem: string | null;
  try {
    problem = ctx.engine.validate({ prompt: job.prompt, params: job.params });
  } catch (thrown) {
    return { kind: 'error', error: coerceError(thrown), during: 'validate' };
  }
  return problem === null
    ? null
    : { kind: 'rejected', error: { code: 'invalid_request', message: problem } };
}

/**
 * Runs the row in the engine's batch and settles it. Resolves once the row is settled;
 * never rejects.
 */
export async function runRow(
  ctx: RunLoopContext,
  row: BatchRow,
  runningRows: () => number,
): Promise<void> {
  const rejected = admitRow(ctx, row);
  const startedAtMs = ctx.now();
  const outcome = rejected ?? (await generateRow(ctx, row));
  if (rejected === null) {
    // The engine's wall time for this row, whatever its outcome (a cancel's stop included).
    const generateMs = ctx.now() - startedAtMs;
    ctx.logger.info(
      { jobId: row.job.id, outcome: outcome.kind, generateMs, runningRows: runningRows() },
      'row generated',
    );
    if (outcome.kind === 'generated') {
      ctx.metrics.rowGenerated(outcome.output.timings.generateMs, runningRows());
    }
  }
  try {
    await settle(ctx, row, outcome);
  } catch (error) {
    ctx.logger.error({ jobId: row.job.id, err: error }, 'settling a row failed; left to its lease');
  } finally {
    row.written = true;
  }
}

/**
 * The engine's output or error for the row, or 'stuck' when the row was aborted and the
 * engine did not hand it back within abortSettleMs.
 */
async function generateRow(ctx: RunLoopContext, row: BatchRow): Promise<RowOutcome> {
  const request = {
    prompt: row.job.prompt,
    params: row.job.params,
    signal: row.controller.signal,
    ...liveTextOf(ctx, row.job),
  };
  const generated = ctx.engine.generate([request]).then(
    ([output]): RowOutcome =>
      output
        ? { kind: 'generated', output }
        : { kind: 'error', error: new Error('engine returned no output') },
    (thrown: unknown): RowOutcome => ({ kind: 'error', error: coerceError(thrown) }),
  );
  const giveUp = new AbortController();
  const stuck = row.aborted.then(async (): Promise<RowOutcome> => {
    await sleep(ctx.config.abortSettleMs, giveUp.signal);
    return { kind: 'stuck' };
  });
  try {
    return await Promise.race([generated, stuck]);
  } finally {
    giveUp.abort();
  }
}

/** Decides the row's fate from its outcome (see the table above) and writes it, once. */
async function settle(ctx: RunLoopContext, row: BatchRow, outcome: RowOutcome): Promise<void> {
  switch (outcome.kind) {
    case 'generated':
      if (outcome.output.finishReason !== 'canceled') {
        return completeRow(ctx, row, outcome.output);
      }
      return settleAborted(ctx, row, outcome.output, 'engine stopped the row without being asked');
    case 'stuck':
      return settleAborted(ctx, row, undefined, 'engine did not stop the row');
    case 'canceled-before-start':
      return cancelRow(ctx, row);
    case 'rejected':
      return failRow(ctx, row, outcome.error);
    case 'error': {
      const { error } = outcome;
      if (row.abortReason !== null) {
        return settleAborted(ctx, row, undefined, error.message);
      }
      const what = outcome.during === 'validate' ? 'validate threw' : 'generate failed';
      ctx.logger.error({ jobId: row.job.id, code: errorCode(error), err: error }, what);
      if (classifyError(error) === 'retryable') {
        const why = outcome.during === 'validate' ? `${what}: ${error.message}` : error.message;
        return releaseRow(ctx, row, why);
      }
      return failRow(ctx, row, { code: errorCode(error), message: error.message });
    }
  }
}

async function settleAborted(
  ctx: RunLoopContext,
  row: BatchRow,
  output: GenerationOutput | undefined,
  unaskedWhy: string,
): Promise<void> {
  switch (row.abortReason) {
    case AbortReason.cancel:
      return cancelRow(ctx, row, output);
    case AbortReason.shutdown:
      return releaseRow(ctx, row, 'shutdown grace period ran out');
    case AbortReason.leaseLost:
      return leaveRow(ctx, row);
    case null:
      return releaseRow(ctx, row, unaskedWhy);
  }
}
