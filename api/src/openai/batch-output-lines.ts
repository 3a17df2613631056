import { Readable } from 'node:stream';
import type { Job, JobResult } from '@warmgen/shared/domain/job.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { completionObject } from './completion-object.ts';
import type { BatchFileKind } from './file-object.ts';

/**
 * A batch's output or error file in OpenAI's line shape, read from the job store a page at
 * a time in input order (the order of the input file's lines, which OpenAI does not promise
 * but users ask for): `{id, custom_id, response: {status_code, request_id, body}, error}`.
 * Succeeded lines go to the output file with the completion object as body; failed and
 * canceled ones to the error file with `response: null` and an error whose code says which
 * (`batch_cancelled`, `batch_expired` or the job's own code). Read when downloaded, so a
 * retried batch's files show each line's latest run. A batch stored before jobs had an
 * input index lists none in input order; its files come in custom_id order instead.
 */
export function batchFileStream(
  store: JobStore,
  batchId: string,
  kind: BatchFileKind,
  model: string,
  options: { pageSize: number; expired: boolean },
): Readable {
  return Readable.from(pages(store, batchId, kind, model, options), { objectMode: false });
}

async function* pages(
  store: JobStore,
  batchId: string,
  kind: BatchFileKind,
  model: string,
  options: { pageSize: number; expired: boolean },
) {
  const limit = options.pageSize;
  let inInputOrder = true;
  let last: Job | undefined;
  for (;;) {
    let page = inInputOrder
      ? await store.listBatchJobsInInputOrder({
          batchId,
          afterInputIndex: last?.inputIndex ?? null,
          limit,
        })
      : await store.listBatchJobs({ batchId, afterCustomId: last?.customId ?? null, limit });
    if (page.length === 0 && last === undefined && inInputOrder) {
      inInputOrder = false;
      page = await store.listBatchJobs({ batchId, afterCustomId: null, limit });
    }
    const lines = page
      .map((job) => outputLine(job, kind, model, options.expired))
      .filter((line) => line !== null);
    if (lines.length > 0) {
      yield lines.join('');
    }
    last = page.at(-1);
    if (page.length < limit || last === undefined) {
      return;
    }
  }
}

function outputLine(job: Job, kind: BatchFileKind, model: string, expired: boolean): string | null {
  const id = `batch_req_${job.id}`;
  if (job.status === 'succeeded' && job.result !== null) {
    if (kind !== 'output') {
      return null;
    }
    const body = completionObject([job as Job & { result: JobResult }], model);
    return `${JSON.stringify({ id, custom_id: job.customId, response: { status_code: 200, request_id: job.id, body }, error: null })}\n`;
  }
  if (kind !== 'error' || (job.status !== 'failed' && job.status !== 'canceled')) {
    return null;
  }
  const error =
    job.status === 'failed'
      ? { code: job.error?.code ?? 'failed', message: job.error?.message ?? 'the request failed' }
      : expired
        ? {
            code: 'batch_expired',
            message: 'This request could not be executed before the completion window expired.',
          }
        : { code: 'batch_cancelled', message: 'This request was cancelled with its batch.' };
  return `${JSON.stringify({ id, custom_id: job.customId, response: null, error })}\n`;
}
