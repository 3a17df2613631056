import { dataOf } from '@warmgen/client/api-error.ts';
import type { CliContext } from '../cli-context.ts';
import { toCliError } from '../cli-error.ts';
import { describeBatch, describeJob, kindOf } from '../describe.ts';
import { exitCodes } from '../exit-codes.ts';

/** `warmgen status ID`: one line about a job or batch, or with --json the object itself. */
export async function status(ctx: CliContext, id: string, options: { json: boolean }) {
  const kind = kindOf(id);
  try {
    const params = { params: { path: { id } } };
    const line =
      kind === 'job'
        ? await ctx.client.api
            .GET('/v1/generations/{id}', params)
            .then(dataOf)
            .then((job) => ({ object: job, text: describeJob(job) }))
        : await ctx.client.api
            .GET('/v1/batches/{id}', params)
            .then(dataOf)
            .then((batch) => ({ object: batch, text: describeBatch(batch) }));
    ctx.stdout.write(options.json ? `${JSON.stringify(line.object, null, 2)}\n` : `${line.text}\n`);
    return exitCodes.ok;
  } catch (error) {
    throw toCliError(error, { context: id });
  }
}
