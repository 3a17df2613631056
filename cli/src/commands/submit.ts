import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { dataOf } from '@warmgen/client/api-error.ts';
import type { Batch } from '@warmgen/client/types.ts';
import type { CliContext } from '../cli-context.ts';
import { CliError, toCliError, usageError } from '../cli-error.ts';
import { exitCodes } from '../exit-codes.ts';
import { fileIdempotencyKey } from '../file-key.ts';
import { createProgress } from '../progress.ts';
import { isAbort, pause } from '../wait.ts';

export interface SubmitOptions {
  out?: string | undefined;
  /** false (--no-resume): a new batch even if this file was submitted before. */
  resume: boolean;
  intervalMs: number;
}

const finishedStatuses: readonly string[] = ['completed', 'canceled'];

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

  const progress = createProgress(ctx.stderr, batch.id);
  try {
    for (;;) {
      progress.update({ ...batch.counts, total: batch.total });
      if (finishedStatuses.includes(batch.status)) {
        break;
      }
      await pause(options.intervalMs, ctx.interrupted);
      if (ctx.interrupted.aborted) {
        break;
      }
      try {
        batch = dataOf(
          await ctx.client.api.GET('/v1/batches/{id}', {
            params: { path: { id: batch.id } },
            signal: ctx.interrupted,
          }),
        );
      } catch (error) {
        if (!isAbort(error, ctx.interrupted)) {
          throw toCliError(error, { context: `batch ${batch.id}` });
        }
      }
    }
  } finally {
    progress.stop();
  }
  if (ctx.interrupted.aborted) {
    throw new CliError(
      exitCodes.interrupted,
      `interrupted: batch ${batch.id} keeps running on the server. Resume with the same command: ${resumeHint}` +
        ` (or follow it with: warmgen status ${batch.id})`,
    );
  }

  await writeResults(ctx, batch.id, options.out);
  const { succeeded, failed, canceled } = batch.counts;
  ctx.stderr.write(
    `batch ${batch.id} ${batch.status}: ${succeeded} succeeded, ${failed} failed, ${canceled} canceled of ${batch.total}` +
      `${options.out ? `; results in ${options.out} (input order)` : ''}\n`,
  );
  return succeeded === batch.total ? exitCodes.ok : exitCodes.someFailed;
}

/** The results in input order, to `out` (written whole, then renamed into place) or stdout. */
async function writeResults(ctx: CliContext, batchId: string, out: string | undefined) {
  const partial = out === undefined ? null : `${out}.partial`;
  const file = partial === null ? null : createWriteStream(partial);
  const sink: NodeJS.WritableStream = file ?? ctx.stdout;
  try {
    for await (const line of ctx.client.results(batchId, { order: 'input' })) {
      if (!sink.write(`${JSON.stringify(line)}\n`)) {
        await once(sink, 'drain');
      }
    }
    if (file !== null && partial !== null && out !== undefined) {
      file.end();
      await finished(file);
      await rename(partial, out);
    }
  } catch (error) {
    if (file !== null && partial !== null) {
      file.destroy();
      await rm(partial, { force: true });
    }
    throw toCliError(error, { context: out ?? `results of batch ${batchId}` });
  }
}
