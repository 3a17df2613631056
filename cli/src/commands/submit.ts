import { readFile } from 'node:fs/promises';
import type { Batch } from '@warmgen/client/types.ts';
import type { CliContext } from '../cli-context.ts';
import { toCliError, usageError } from '../cli-error.ts';
import { fileIdempotencyKey } from '../file-key.ts';
import { followBatch } from '../follow-batch.ts';

export interface SubmitOptions {
  out?: string | undefined;
  /** false (--no-resume): a new batch even if this file was submitted before. */
  resume: boolean;
  intervalMs: number;
}

/**
 * `warmgen submit FILE --out RESULTS`: the file's lines go to POST /v1/batches as they are
 * (the server checks them and names a bad line), under an Idempotency-Key from the file's
 * bytes; then the batch's progress until it finishes, then its results in input order.
 * The same command again resumes the same batch. Ctrl-C leaves it running.
 */
export async function submit(ctx: CliContext, file: string, options: SubmitOptions) {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    throw usageError(
      `${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? error})`,
    );
  }
  const resumeHint = `warmgen submit ${file}${options.out ? ` --out ${options.out}` : ''}`;
  let batch: Batch;
  try {
    const submitted = await ctx.client.submitJsonl(content.toString('utf8'), {
      idempotencyKey: options.resume ? fileIdempotencyKey(content) : undefined,
    });
    batch = submitted.batch;
    const finishedRows = batch.total - batch.counts.queued - batch.counts.running;
    ctx.stderr.write(
      submitted.replayed
        ? `resuming batch ${batch.id} (${file} was submitted before; ${finishedRows}/${batch.total} finished)\n`
        : `submitted batch ${batch.id}: ${batch.total} rows from ${file}\n`,
    );
  } catch (error) {
    throw toCliError(error, { context: file });
  }

  return followBatch(ctx, batch, {
    out: options.out,
    intervalMs: options.intervalMs,
    resumeHint: `Resume with the same command: ${resumeHint}`,
  });
}
