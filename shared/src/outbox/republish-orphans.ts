import type { JobQueue } from '../ports/job-queue.ts';
import type { JobStore } from '../ports/job-store.ts';

/**
 * The orphan sweeper's one pass. The API writes a job before it publishes the job's
 * message and marks it published after, so a message never names a job that does not
 * exist; but a publish that fails, or a process that dies between the write and the
 * publish, leaves a queued job nobody will ever pull. This finds queued jobs that were
 * never marked published and are older than olderThanMs (younger ones may still be
 * publishing in the request that created them), publishes them and marks them.
 *
 * Publishing a job twice is harmless: the store's conditional claim lets one worker run
 * it and the other message is acked and dropped. So several API instances may sweep at
 * once, and a crash between publish and mark only costs a duplicate message.
 */
export interface RepublishOrphansOptions {
  store: Pick<JobStore, 'listUnpublished' | 'markPublished'>;
  queue: Pick<JobQueue, 'publish'>;
  now: () => number;
  /** Jobs younger than this are left alone. */
  olderThanMs: number;
  /** Jobs per list-publish-mark round. */
  pageSize?: number;
  /** Bound on one pass, so a huge backlog of orphans is spread over several passes. */
  maxPerPass?: number;
}

const defaults = { pageSize: 500, maxPerPass: 10_000 };

/** Returns how many jobs were published. Errors propagate (the sweeper reports them). */
export async function republishOrphans(options: RepublishOrphansOptions): Promise<number> {
  const { store, queue, now, olderThanMs } = options;
  const pageSize = options.pageSize ?? defaults.pageSize;
  const maxPerPass = options.maxPerPass ?? defaults.maxPerPass;
  // One cutoff for the pass: jobs created while it runs wait for the next one.
  const createdBeforeMs = now() - olderThanMs;
  let published = 0;
  while (published < maxPerPass) {
    const ids = await store.listUnpublished({
      createdBeforeMs,
      limit: Math.min(pageSize, maxPerPass - published),
    });
    if (ids.length === 0) {
      break;
    }
    await queue.publish(ids);
    await store.markPublished({ ids, nowMs: now() });
    published += ids.length;
    if (ids.length < pageSize) {
      break;
    }
  }
  return published;
}
