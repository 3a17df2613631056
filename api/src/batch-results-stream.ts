import { Readable } from 'node:stream';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { toResultLine } from '@warmgen/shared/views/batch-view.ts';

/**
 * A batch's results as JSONL, in custom_id order, read from the store one page at a time:
 * memory stays at one page whatever the batch size, and the stream's backpressure paces
 * the reads to the client.
 */
export function batchResultsStream(store: JobStore, batchId: string, pageSize: number): Readable {
  return Readable.from(resultPages(store, batchId, pageSize), { objectMode: false });
}

async function* resultPages(store: JobStore, batchId: string, pageSize: number) {
  let afterCustomId: string | null = null;
  for (;;) {
    const page = await store.listBatchJobs(batchId, afterCustomId, pageSize);
    if (page.length > 0) {
      yield page.map(toResultLine).join('');
    }
    const last = page.at(-1);
    if (page.length < pageSize || last === undefined) {
      return;
    }
    afterCustomId = last.customId;
  }
}
