import type { GenerationOutput, GenerationRequest } from '../engine/generation-engine.ts';
import { AbortReason, abortRow, type BatchRow } from './batch-row.ts';
import { startCancelWatcher } from './cancel-watcher.ts';
import { classifyError, coerceError, errorCode, RetryableJobError } from './job-errors.ts';
import { startLeaseKeeper } from './lease-keeper.ts';
import type { RunLoopContext } from './run-loop-context.ts';
import { cancelRow, completeRow, failRow, leaveRow, releaseRow } from './settle-row.ts';

/** A batch of claimed rows being generated, as the loop and stop() see it. */
export interface RunningBatch {
  readonly rows: readonly BatchRow[];
  /** Resolves once every row is settled. Never rejects. */
  readonly done: Promise<void>;
  /** Aborts every row still generating (each stops at its next decode step). */
  abortAll(reason: AbortReason): void;
  /** Releases the rows not settled yet, for when the engine ignores an abort. */
  releaseUnsettled(why: string): Promise<void>;
}

type RowOutcome =
  | { readonly row: BatchRow; readonly output: GenerationOutput }
  | { readonly row: BatchRow; readonly error: Error };

/**
 * Runs one generate() for the rows, keeping their leases alive and watching for cancels
 * meanwhile, then settles each row from its own outcome. Rows aborted for a cancel or a
 * lost lease were settled by the watchers already; the rest are settled after the timers
 * stop, so no lease is renewed for a job already released or finished.
 */
export function startBatch(ctx: RunLoopContext, rows: readonly BatchRow[]): RunningBatch {
  const run = async (): Promise<void> => {
    ctx.metrics.inFlight(rows.length);
    const leaseKeeper = startLeaseKeeper(ctx, rows);
    const cancelWatcher = startCancelWatcher(ctx, rows);
    let outcomes: RowOutcome[];
    try {
      outcomes = await generateRows(ctx, rows);
    } finally {
      await Promise.all([leaseKeeper.stop(), cancelWatcher.stop()]);
    }
    await Promise.all(outcomes.map((outcome) => settleOutcome(ctx, outcome)));
  };
  const done = run()
    .catch((error: unknown) => {
      ctx.logger.error({ err: error }, 'batch failed unexpectedly; unsettled jobs left to expire');
    })
    .finally(() => ctx.metrics.inFlight(0));
  return {
    rows,
    done,
    abortAll(reason) {
      for (const row of rows) {
        abortRow(row, reason);
      }
    },
    async releaseUnsettled(why) {
      await Promise.all(rows.map((row) => releaseRow(ctx, row, why)));
    },
  };
}

function toRequest(row: BatchRow): GenerationRequest {
  return { prompt: row.job.prompt, params: row.job.params, signal: row.controller.signal };
}

/**
 * One generate() call for the rows. When it fails with a permanent error and holds more
 * than one row, each row runs again alone: one bad row must not fail its neighbours, and
 * the solo runs tell which row it was.
 */
async function generateRows(ctx: RunLoopContext, rows: readonly BatchRow[]): Promise<RowOutcome[]> {
  const jobIds = rows.map((row) => row.job.id);
  const startedAtMs = ctx.now();
  try {
    const outputs = await ctx.engine.generate(rows.map(toRequest));
    const generateMs = ctx.now() - startedAtMs;
    if (outputs.length !== rows.length) {
      throw new RetryableJobError(
        'engine_output_mismatch',
        `engine returned ${outputs.length} outputs for ${rows.length} rows`,
      );
    }
    ctx.metrics.batchGenerated(rows.length, generateMs);
    ctx.logger.info({ jobIds, rows: rows.length, generateMs }, 'batch generated');
    return rows.map((row, index) => ({ row, output: outputs[index]! }));
  } catch (thrown) {
    const error = coerceError(thrown);
    const kind = classifyError(error);
    ctx.logger.error({ jobIds, kind, code: errorCode(error), err: error }, 'generate failed');
    if (kind === 'permanent' && rows.length > 1) {
      const outcomes: RowOutcome[] = [];
      for (const row of rows) {
        if (row.abortReason !== null) {
          outcomes.push({ row, error });
        } else {
          outcomes.push(...(await generateRows(ctx, [row])));
        }
      }
      return outcomes;
    }
    return rows.map((row) => ({ row, error }));
  }
}

async function settleOutcome(ctx: RunLoopContext, outcome: RowOutcome): Promise<void> {
  const { row } = outcome;
  // A row that finished despite an abort did all its work: record it.
  if ('output' in outcome && outcome.output.finishReason !== 'canceled') {
    return completeRow(ctx, row, outcome.output);
  }
  switch (row.abortReason) {
    case AbortReason.cancel:
      return cancelRow(ctx, row);
    case AbortReason.shutdown:
      return releaseRow(ctx, row, 'shutdown grace period ran out');
    case AbortReason.leaseLost:
      return leaveRow(ctx, row);
    case null:
      break;
  }
  if ('output' in outcome) {
    return releaseRow(ctx, row, 'engine stopped the row without being asked');
  }
  const { error } = outcome;
  if (classifyError(error) === 'retryable') {
    return releaseRow(ctx, row, error.message);
  }
  return failRow(ctx, row, { code: errorCode(error), message: error.message });
}
