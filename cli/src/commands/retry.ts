import { dataOf } from '@warmgen/client/api-error.ts';
import type { Batch } from '@warmgen/client/types.ts';
import type { CliContext } from '../cli-context.ts';
import { toCliError } from '../cli-error.ts';
import { followBatch } from '../follow-batch.ts';

export interface RetryOptions {
  out?: string | undefined;
  intervalMs: number;
}

/**
 * `warmgen retry BATCH [--out RESULTS]`: a new attempt of the failed and canceled rows of a
 * finished batch (POST /v1/batches/{id}/retry; the server answers 409 while the batch runs
 * or when nothing failed), then its progress and all its results in input order, as
 * `submit` shows them.
 */
export async function retry(ctx: CliContext, batchId: string, options: RetryOptions) {
  let batch: Batch;
  try {
    batch = dataOf(
      await ctx.client.api.POST('/v1/batches/{id}/retry', { params: { path: { id: batchId } } }),
    );
  } catch (error) {
    throw toCliError(error, { context: `batch ${batchId}` });
  }
  const again = batch.counts.queued + batch.counts.running;
  ctx.stderr.write(`retrying ${again} rows of batch ${batch.id} (retry ${batch.retries})\n`);
  return followBatch(ctx, batch, {
    out: options.out,
    intervalMs: options.intervalMs,
    resumeHint: `Follow it with: warmgen status ${batch.id}`,
  });
}
