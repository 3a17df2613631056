import type { Batch, Job } from '@warmgen/client/types.ts';
import { usageError } from './cli-error.ts';

/** One line about a job, as `status` and `cancel` print it. */
export function describeJob(job: Job): string {
  switch (job.status) {
    case 'succeeded': {
      const result = job.result;
      return result
        ? `${job.id} succeeded (${result.finish_reason}, ${result.usage.completion_tokens} tokens)`
        : `${job.id} succeeded`;
    }
    case 'failed':
      return `${job.id} failed: ${job.error?.code ?? 'error'}: ${job.error?.message ?? ''}`;
    case 'canceled':
      return `${job.id} canceled`;
    default:
      return `${job.id} ${job.status}${job.cancel_requested ? ' (cancel requested)' : ''}, attempt ${job.attempts}`;
  }
}

/** One line about a batch and its rows by status. */
export function describeBatch(batch: Batch): string {
  const { succeeded, failed, canceled, queued, running } = batch.counts;
  return (
    `${batch.id} ${batch.status}: ${succeeded} succeeded, ${failed} failed, ${canceled} canceled, ` +
    `${queued} queued, ${running} running of ${batch.total}`
  );
}

/**
 * Which kind of thing an id names, from the prefix the service gives its ids; anything
 * else is a usage error naming the argument.
 */
export function kindOf(id: string): 'job' | 'batch' {
  if (id.startsWith('job_')) {
    return 'job';
  }
  if (id.startsWith('batch_')) {
    return 'batch';
  }
  throw usageError(`ID must be a job id (job_…) or a batch id (batch_…), got "${id}"`);
}
