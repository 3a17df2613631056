import { dataOf } from '@warmgen/client/api-error.ts';
import type { CliContext } from '../cli-context.ts';
import { toCliError } from '../cli-error.ts';
import { describeBatch, describeJob, kindOf } from '../describe.ts';
import { exitCodes } from '../exit-codes.ts';

/**
 * `warmgen cancel ID`: a queued job (or a batch's queued rows) is canceled at once, a
 * running one stops at its next decode step. A finished one is a 409 from the server.
 */
export async function cancel(ctx: CliContext, id: string) {
  const kind = kindOf(id);
  try {
    const params = { params: { path: { id } } };
    const text =
      kind === 'job'
        ? describeJob(dataOf(await ctx.client.api.POST('/v1/generations/{id}/cancel', params)))
        : describeBatch(dataOf(await ctx.client.api.POST('/v1/batches/{id}/cancel', params)));
    ctx.stdout.write(`${text}\n`);
    return exitCodes.ok;
  } catch (error) {
    throw toCliError(error, { context: id });
  }
}
