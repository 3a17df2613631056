import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Batch, NewJob } from '@warmgen/shared/domain/job.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';

/**
 * Idempotency-Key on POST /v1/batches. A batch's key decides its id: `batch_` and the
 * SHA-256 of the caller and the key (43 base64url characters, so it never meets a random
 * id's 22). A retry finds the batch the first attempt made with one read, and two attempts
 * at once race for one id, which the store's create refuses to the loser. The store needs
 * nothing new for this: a job's key lives in an index of its own, and a batch is one record.
 */
export function idempotentBatchId(owner: string | null, key: string): string {
  const digest = createHash('sha256')
    .update(`${owner ?? ''}\n${key}`)
    .digest('base64url');
  return `batch_${digest}`;
}

/**
 * Whether a stored batch is the same submission as the one attempted again: the same
 * webhook and the same items (custom_id, prompt and resolved params) in the same order.
 * Read a page at a time; a replay is rare, so the read it costs is fine.
 */
export async function isSameBatchSubmission(
  store: JobStore,
  stored: Batch,
  attempted: { batch: Batch; jobs: readonly NewJob[] },
  pageSize: number,
): Promise<boolean> {
  if (
    stored.itemCount !== attempted.jobs.length ||
    !isDeepStrictEqual(stored.webhook, attempted.batch.webhook)
  ) {
    return false;
  }
  let index = 0;
  let afterInputIndex: number | null = null;
  for (;;) {
    const page = await store.listBatchJobsInInputOrder({
      batchId: stored.id,
      afterInputIndex,
      limit: pageSize,
    });
    for (const job of page) {
      const wanted = attempted.jobs[index];
      if (
        wanted === undefined ||
        job.customId !== wanted.customId ||
        job.prompt !== wanted.prompt ||
        !isDeepStrictEqual(job.params, wanted.params)
      ) {
        return false;
      }
      index++;
    }
    if (page.length < pageSize) {
      return index === attempted.jobs.length;
    }
    afterInputIndex = page.at(-1)?.inputIndex ?? null;
  }
}
