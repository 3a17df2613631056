import type { StatusCounts } from '@warmgen/shared/domain/job.ts';
import type { OpenAiBatchRecord } from '@warmgen/shared/ports/openai-batch-store.ts';
import type { OpenAiContext } from './openai-context.ts';
import { storesOf } from './openai-stores.ts';

/** One pass over a finished batch's jobs, a page at a time. */
async function sumUsage(ctx: OpenAiContext, batchId: string) {
  const usage = { promptTokens: 0, completionTokens: 0 };
  let after: string | null = null;
  for (;;) {
    const page = await ctx.store.listBatchJobs({
      batchId,
      afterCustomId: after,
      limit: ctx.resultsPageSize,
    });
    for (const job of page) {
      usage.promptTokens += job.result?.promptTokens ?? 0;
      usage.completionTokens += job.result?.completionTokens ?? 0;
    }
    const last = page.at(-1);
    if (page.length < ctx.resultsPageSize || last === undefined) {
      return usage;
    }
    after = last.customId;
  }
}

const noJobs: StatusCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };

/**
 * A batch record with its current job counts, after the two moments that happen with
 * no request to carry them: the window's end (the open jobs are canceled and the batch
 * is expired) and the last job's end (finished_at). Both are written once, by whichever
 * read sees them first; the counts stay the job store's.
 */
export async function refreshBatch(
  ctx: OpenAiContext,
  record: OpenAiBatchRecord,
): Promise<{ record: OpenAiBatchRecord; counts: StatusCounts }> {
  if (record.errors !== null) {
    return { record, counts: noJobs };
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
  if (open() === 0 && current.usage === null) {
    const usage = await sumUsage(ctx, record.id);
    await batches.setUsage(record.id, usage);
    current = { ...current, usage };
  }
  return { record: current, counts };
}
