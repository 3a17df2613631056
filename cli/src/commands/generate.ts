import { dataOf } from '@warmgen/client/api-error.ts';
import type { GenerationParams, Job } from '@warmgen/client/types.ts';
import type { CliContext } from '../cli-context.ts';
import { CliError, toCliError } from '../cli-error.ts';
import { describeJob } from '../describe.ts';
import { exitCodes } from '../exit-codes.ts';
import { isAbort } from '../wait.ts';

export interface GenerateOptions {
  maxNewTokens?: number | undefined;
  temperature?: number | undefined;
  seed?: number | undefined;
  wait: boolean;
}

/** The server's field names as the flags the user typed, for its error messages. */
const flagOfField = {
  'body/params/max_new_tokens': '--max-new-tokens',
  'body/params/temperature': '--temperature',
  'body/params/seed': '--seed',
  'body/prompt': 'PROMPT',
};

/**
 * Each long poll's hold (`?wait=`). The submit itself does not wait, so the job's id is
 * known before any waiting starts and a Ctrl-C can name it. 10 s stays under any
 * MAX_WAIT_SECONDS a deployment is likely to set (a larger ?wait than the server's is a 400).
 */
const pollWaitSeconds = 10;
const terminal: readonly string[] = ['succeeded', 'failed', 'canceled'];

/**
 * `warmgen generate PROMPT`: submits one job and prints its id, or with --wait waits for
 * it (long polls) and prints its text.
 */
export async function generate(ctx: CliContext, prompt: string, options: GenerateOptions) {
  const params: GenerationParams = {
    ...(options.maxNewTokens !== undefined ? { max_new_tokens: options.maxNewTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  let job: Job;
  try {
    job = dataOf(await ctx.client.api.POST('/v1/generations', { body: { prompt, params } })) as Job;
  } catch (error) {
    throw toCliError(error, { rename: flagOfField });
  }
  if (!options.wait) {
    ctx.stdout.write(`${job.id}\n`);
    return exitCodes.ok;
  }
  ctx.stderr.write(`submitted job ${job.id}; waiting for it (Ctrl-C leaves it running)\n`);
  while (!terminal.includes(job.status)) {
    try {
      job = dataOf(
        await ctx.client.api.GET('/v1/generations/{id}', {
          params: { path: { id: job.id }, query: { wait: pollWaitSeconds } },
          signal: ctx.interrupted,
        }),
      );
    } catch (error) {
      if (isAbort(error, ctx.interrupted)) {
        throw new CliError(
          exitCodes.interrupted,
          `interrupted: job ${job.id} keeps running on the server; see it with: warmgen status ${job.id}`,
        );
      }
      throw toCliError(error, { context: `job ${job.id}` });
    }
  }
  if (job.result !== null) {
    ctx.stdout.write(`${job.result.text}\n`);
  }
  ctx.stderr.write(`${describeJob(job)}\n`);
  return job.status === 'succeeded' ? exitCodes.ok : exitCodes.someFailed;
}
