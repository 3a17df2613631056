import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { dataOf } from '@warmgen/client/api-error.ts';
import type { Batch } from '@warmgen/client/types.ts';
import type { CliContext } from './cli-context.ts';
import { CliError, toCliError } from './cli-error.ts';
import { exitCodes } from './exit-codes.ts';
import { createProgress } from './progress.ts';
import { isAbort, pause } from './wait.ts';

const finishedStatuses: readonly string[] = ['completed', 'canceled'];

export interface FollowOptions {
  out?: string | undefined;
  intervalMs: number;
  /** What to run to pick the batch up again after Ctrl-C, said in the interrupted message. */
  resumeHint: string;
}

/**
 * A batch's progress until it finishes, then its results in input order, to `out` or
 * stdout; exit 0 when every row succeeded, 1 otherwise. What `submit` and `retry` share.
 * Ctrl-C leaves the batch running and says how to pick it up.
 */
export async function followBatch(ctx: CliContext, submitted: Batch, options: FollowOptions) {
  let batch = submitted;
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
      `interrupted: batch ${batch.id} keeps running on the server. ${options.resumeHint}` +
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
