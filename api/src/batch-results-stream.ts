import { Readable } from 'node:stream';
import type { Job } from '@warmgen/shared/domain/job.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { toResultLine } from '@warmgen/shared/views/batch-view.ts';

export type ResultsOrder = 'custom_id' | 'input';

/**
 * A batch's results as JSONL, in custom_id order or in input order, read from the store
 * one page at a time: memory stays at one page whatever the batch size, and the stream's
 * backpressure paces the reads to the client. Each page is read when the client gets to
 * it, so a batch still running shows every item finished by then.
 */
export function batchResultsStream(
  store: JobStore,
  batchId: string,
  pageSize: number,
  order: ResultsOrder = 'custom_id',
): Readable {
  return Readable.from(resultPages(store, batchId, pageSize, order), { objectMode: false });
}

async function* resultPages(
  store: JobStore,
  batchId: string,
  pageSize: number,
  order: ResultsOrder,
) {
  const readPage = (after: Job | undefined) =>
    order === 'input'
      ? store.listBatchJobsInInputOrder({
          batchId,
          afterInputIndex: after?.inputIndex ?? null,
          limit: pageSize,
        })
      : store.listBatchJobs({ batchId, afterCustomId: after?.customId ?? null, limit: pageSize });
  let last: Job | undefined;
  for (;;) {
    const page = await readPage(last);
    if (page.length > 0) {
      yield page.map(toResultLine).join('');
    }
    last = page.at(-1);
    if (page.length < pageSize || last === undefined) {
      return;
    }
  }
}
