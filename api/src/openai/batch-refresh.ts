import { withSettledUsage } from '@warmgen/shared/batches/settle-batch-usage.ts';
import type { BatchUsage, StatusCounts } from '@warmgen/shared/domain/job.ts';
import type { OpenAiBatchRecord } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { OpenAiContext } from './openai-context.ts';
import { storesOf } from './openai-stores.ts';

const noJobs: StatusCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };

export interface FreshBatch {
  record: OpenAiBatchRecord;
  counts: StatusCounts;
  /** The warmgen batch's summed usage: null while it runs (and for a failed validation). */
  usage: BatchUsage | null;
}

/**
 * A batch record with its current job counts, after the two moments that happen with
 * no request to carry them: the window's end (the open jobs are canceled and the batch
 * is expired) and the last job's end (finished_at, and the usage sum, which the warmgen
 * batch records for both surfaces). Both are written once, by whichever read sees them
 * first; the counts stay the job store's.
 */
export async function refreshBatch(
  ctx: OpenAiContext,
  record: OpenAiBatchRecord,
): Promise<FreshBatch> {
  if (record.errors !== null) {
    return { record, counts: noJobs, usage: null };
  }
  const { batches } = storesOf(ctx);
  let current = record;
  let counts = await ctx.store.countBatchJobs(record.id);
  const open = () => counts.queued + counts.running;
  const nowMs = ctx.now();
  if (open() > 0 && current.expiredAtMs === null && nowMs >= current.expiresAtMs) {
    await ctx.store.cancelBatch({ batchId: record.id, nowMs });
    current = (await batches.mark(record.id, 'expiredAtMs', nowMs)) ?? current;
    counts = await ctx.store.countBatchJobs(record.id);
  }
  if (open() === 0 && current.finishedAtMs === null) {
    current = (await batches.mark(record.id, 'finishedAtMs', nowMs)) ?? current;
  }
  const batch = await ctx.store.getBatch(record.id);
  const settled =
    batch === null ? null : await withSettledUsage(ctx.store, batch, counts, ctx.resultsPageSize);
  return { record: current, counts, usage: settled?.usage ?? null };
}
