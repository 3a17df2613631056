import type { Batch } from '@warmgen/shared/domain/job.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiMetrics } from './api-metrics.ts';
import { publishAccepted } from './publish-accepted.ts';

export type RetryRefusal = 'open' | 'nothing_to_retry' | 'not_found';

/**
 * A retry of a finished batch's failed and canceled items, as both surfaces run it: the
 * store re-queues the rows (the write that makes the retry durable), then they are
 * published and marked, exactly as a new batch's jobs are after createBatch. A crash or a
 * failed publish after the write leaves queued rows that were never marked published: the
 * orphan sweeper publishes them once they are its grace past the retry, so no row is lost
 * and none is queued twice by this path. Returns the batch after the retry, or why none ran.
 */
export async function retryBatchAndPublish(
  batchId: string,
  deps: {
    store: Pick<JobStore, 'retryBatch' | 'markPublished'>;
    queue: Pick<JobQueue, 'publish'>;
    metrics: Pick<ApiMetrics, 'countSubmitted'>;
    now: () => number;
    log: FastifyBaseLogger;
    chunkSize: number;
  },
): Promise<{ retried: Batch; jobs: number } | { refused: RetryRefusal }> {
  const outcome = await deps.store.retryBatch({ batchId, nowMs: deps.now() });
  if (outcome.outcome !== 'retried') {
    return { refused: outcome.outcome };
  }
  await publishAccepted(outcome.jobIds, deps);
  deps.metrics.countSubmitted('batch', outcome.jobIds.length);
  return { retried: outcome.batch, jobs: outcome.jobIds.length };
}

/** What a refusal means, in words for either surface's error. */
export function retryRefusalMessage(batchId: string, refusal: RetryRefusal): string {
  switch (refusal) {
    case 'open':
      return `batch ${batchId} is still running; retry it once every item has finished`;
    case 'nothing_to_retry':
      return `batch ${batchId} has no failed or canceled items to retry`;
    case 'not_found':
      return `batch ${batchId} does not exist`;
  }
}
