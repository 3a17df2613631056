import type { Batch, BatchUsage, StatusCounts } from '../domain/job.ts';
import type { JobStore } from '../ports/job-store.ts';

export type UsageStore = Pick<JobStore, 'listBatchJobs' | 'setBatchUsage'>;

/**
 * The batch with its summed usage, once it has finished: the first read after its last
 * row ended (or after its latest retry's did) walks its rows a page at a time and records
 * the sum; every later read takes it from the batch. A running batch has none (null): a
 * sum on every poll would read every row each time. Rows count with their result,
 * succeeded or canceled part-way (the tokens they generated before the stop). The sum is
 * recorded only for the retry it was read on, so a retry that starts meanwhile clears it
 * and the next finish sums again.
 */
export async function withSettledUsage(
  store: UsageStore,
  batch: Batch,
  counts: StatusCounts,
  pageSize: number,
): Promise<Batch> {
  if (counts.queued + counts.running > 0 || (batch.usage ?? null) !== null) {
    return batch;
  }
  const usage = await sumUsage(store, batch.id, pageSize);
  await store.setBatchUsage({ batchId: batch.id, retries: batch.retries ?? 0, usage });
  return { ...batch, usage };
}

async function sumUsage(store: UsageStore, batchId: string, pageSize: number): Promise<BatchUsage> {
  const usage = { promptTokens: 0, completionTokens: 0 };
  let after: string | null = null;
  for (;;) {
    const page = await store.listBatchJobs({ batchId, afterCustomId: after, limit: pageSize });
    for (const job of page) {
      usage.promptTokens += job.result?.promptTokens ?? 0;
      usage.completionTokens += job.result?.completionTokens ?? 0;
    }
    const last = page.at(-1);
    if (page.length < pageSize || last === undefined) {
      return usage;
    }
    after = last.customId;
  }
}
