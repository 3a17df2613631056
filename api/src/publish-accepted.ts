import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Queues jobs the store has already recorded, then marks them published. The job is
 * durable once written, so a publish that fails does not fail the request: the orphan
 * sweeper (shared/src/outbox) finds jobs never marked published and publishes them.
 * Returns how many ids were queued and marked here.
 */
export async function publishAccepted(
  ids: string[],
  deps: {
    store: Pick<JobStore, 'markPublished'>;
    queue: Pick<JobQueue, 'publish'>;
    now: () => number;
    log: FastifyBaseLogger;
    chunkSize: number;
  },
): Promise<number> {
  let published = 0;
  for (let start = 0; start < ids.length; start += deps.chunkSize) {
    const chunk = ids.slice(start, start + deps.chunkSize);
    try {
      await deps.queue.publish(chunk);
      await deps.store.markPublished({ ids: chunk, nowMs: deps.now() });
      published += chunk.length;
    } catch (error) {
      deps.log.warn(
        { err: error, queued: published, total: ids.length },
        'publish failed after the jobs were recorded; the orphan sweeper will queue the rest',
      );
      return published;
    }
  }
  return published;
}
