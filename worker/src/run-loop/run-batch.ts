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
 * meanwhile, and settles each row from its own outcome. A row the engine hands back early
 * (its onDone) is settled at once when its fate is an ack: finished (completed, so a short
 * job does not wait for the slowest row of its batch) or stopped for a cancel (canceled
 * with its text so far). Rows that lost their lease were settled by the watchers already;
 * the rest (releases, failures) are settled after the timers stop, so no lease is renewed
 * for a job already released. A row is settled once: the later generate() return finds
 * it settled and leaves it.
 */
export function startBatch(ctx: RunLoopContext, rows: readonly BatchRow[]): RunningBatch {
  /** Settlements started from the engine's per-row callback; awaited before `done`. */
  const early: Promise<void>[] = [];
  const onRowDone = (row: BatchRow, output: GenerationOutput): void => {
    row.generated.resolve();
    early.push(
      settleEarly(ctx, row, output).catch((error: unknown) => {
        ctx.logger.error({ jobId: row.job.id, err: error }, 'settling a finished row failed');
      }),
    );
  };
  const run = async (): Promise<void> => {
    ctx.metrics.inFlight(rows.length);
    const leaseKeeper = startLeaseKeeper(ctx, rows);
    const cancelWatcher = startCancelWatcher(ctx, rows);
    let outcomes: RowOutcome[];
    try {
      outcomes = await generateRows(ctx, rows, onRowDone);
    } finally {
      for (const row of rows) {
        row.generated.resolve();
      }
      await Promise.all([leaseKeeper.stop(), cancelWatcher.stop()]);
    }
    await Promise.all(early);
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

type OnRowDone = (row: BatchRow, output: GenerationOutput) => void;

function toRequest(row: BatchRow, onRowDone: OnRowDone): GenerationRequest {
  return {
    prompt: row.job.prompt,
    params: row.job.params,
    signal: row.controller.signal,
    onDone: (output) => onRowDone(row, output),
  };
}

/**
 * One generate() call for the rows. When it fails with a permanent error and holds more
 * than one row, each row runs again alone: one bad row must not fail its neighbours, and
 * the solo runs tell which row it was.
 */
async function generateRows(
  ctx: RunLoopContext,
  rows: readonly BatchRow[],
  onRowDone: OnRowDone,
): Promise<RowOutcome[]> {
  const jobIds = rows.map((row) => row.job.id);
  const startedAtMs = ctx.now();
  try {
    const outputs = await ctx.engine.generate(rows.map((row) => toRequest(row, onRowDone)));
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
        // Settled rows finished before the failure (their onDone came): no need to rerun.
        if (row.abortReason !== null || row.settled) {
          outcomes.push({ row, error });
        } else {
          outcomes.push(...(await generateRows(ctx, [row], onRowDone)));
        }
      }
      return outcomes;
    }
    return rows.map((row) => ({ row, error }));
  }
}

/** A row the engine finished while its batch goes on: settled now if its fate is an ack. */
async function settleEarly(
  ctx: RunLoopContext,
  row: BatchRow,
  output: GenerationOutput,
): Promise<void> {
  if (output.finishReason !== 'canceled') {
    return completeRow(ctx, row, output);
  }
  if (row.abortReason === AbortReason.cancel) {
    return cancelRow(ctx, row, output);
  }
  // Shutdown, lease lost, or a stop nobody asked for: settled after the timers stop.
}

async function settleOutcome(ctx: RunLoopContext, outcome: RowOutcome): Promise<void> {
  const { row } = outcome;
  // A row that finished despite an abort did all its work: record it.
  if ('output' in outcome && outcome.output.finishReason !== 'canceled') {
    return completeRow(ctx, row, outcome.output);
  }
  switch (row.abortReason) {
    case AbortReason.cancel:
      return cancelRow(ctx, row, 'output' in outcome ? outcome.output : undefined);
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
