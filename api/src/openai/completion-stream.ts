import type { Job, JobResult } from '@warmgen/shared/domain/job.ts';
import type { FastifyReply } from 'fastify';
import { requestAbort } from '../request-abort.ts';
import { jobEvents } from '../stream/job-events.ts';
import { mergeEvents } from '../stream/merge-events.ts';
import { completionId, finishReasonOf } from './completion-object.ts';
import type { OpenAiContext } from './openai-context.ts';

/** One choice of a streamed completion chunk, as OpenAI sends it. */
interface ChunkChoice {
  text: string;
  index: number;
  logprobs: null;
  finish_reason: 'stop' | 'length' | null;
}

/**
 * `stream: true` on /openai/v1/completions, as OpenAI streams it: `data:` chunks of the
 * `text_completion` shape, each with the new text of one choice (prompts stream side by
 * side, told apart by `index`), that choice's last chunk with its `finish_reason`, then,
 * with `stream_options.include_usage`, a chunk with no choices and the usage (every other
 * chunk has `usage: null`), then `data: [DONE]`. The text comes from the same job events
 * as /v1 streams. OpenAI's stream cannot take text back, so a job that starts over on
 * another worker continues once its new text has passed what was sent (the same for
 * greedy and seeded jobs); new text that differs ends the stream with an error. A client
 * that goes away gets its jobs canceled, as a non-streamed completion's does.
 */
export async function serveCompletionStream(
  ctx: OpenAiContext,
  reply: FastifyReply,
  jobs: readonly Job[],
  options: { includeUsage: boolean },
): Promise<void> {
  const first = jobs[0];
  if (first === undefined) {
    throw new Error('a completion needs at least one job');
  }
  const base = {
    id: completionId(first.id),
    object: 'text_completion' as const,
    created: Math.floor(first.createdAtMs / 1000),
    model: ctx.openai.modelName,
  };
  const chunk = (choices: ChunkChoice[], usage: Usage | null = null) => ({
    data: { ...base, choices, ...(options.includeUsage ? { usage } : {}) },
  });
  const abort = requestAbort(reply, ctx.closing);
  const finished: (Job & { result: JobResult })[] = [];
  const sent = jobs.map(() => '');
  const attemptText = jobs.map(() => '');
  try {
    reply.sse.sendHeaders(200);
    const events = mergeEvents(
      jobs.map((job) =>
        jobEvents(
          {
            readJob: () => ctx.store.getJob(job.id),
            hub: ctx.streams.hub,
            poll: ctx.poll,
            signal: abort.signal,
          },
          job,
          null,
        ),
      ),
    );
    for await (const { index, value: event } of events) {
      if (event.kind === 'requeued') {
        attemptText[index] = '';
        continue;
      }
      if (event.kind === 'done') {
        const job = event.job;
        if (job.status !== 'succeeded' || job.result === null) {
          await reply.sse.send({ data: { error: errorOf(job) } });
          return;
        }
        finished.push(job as Job & { result: JobResult });
        await reply.sse.send(
          chunk([
            {
              text: '',
              index,
              logprobs: null,
              finish_reason: finishReasonOf(job.result.finishReason),
            },
          ]),
        );
        continue;
      }
      attemptText[index] += event.text;
      const known = attemptText[index]!;
      const already = sent[index]!;
      if (!(known.startsWith(already) || already.startsWith(known))) {
        await reply.sse.send({
          data: {
            error: {
              message: `generation ${jobs[index]!.id} started over on another worker with different text`,
              type: 'server_error',
              code: 'requeued',
            },
          },
        });
        return;
      }
      if (known.length > already.length) {
        sent[index] = known;
        await reply.sse.send(
          chunk([
            { text: known.slice(already.length), index, logprobs: null, finish_reason: null },
          ]),
        );
      }
    }
    if (abort.signal.aborted) {
      return;
    }
    if (options.includeUsage) {
      await reply.sse.send(chunk([], usageOf(finished)));
    }
    await reply.sse.send('[DONE]');
  } catch (error) {
    if (reply.sse.isConnected) {
      throw error;
    }
  } finally {
    abort.dispose();
    if (finished.length < jobs.length) {
      // Nobody is left to read them (or one failed): the others would run for no one.
      await Promise.all(
        jobs.map((job) =>
          ctx.store.requestCancel({ id: job.id, nowMs: ctx.now() }).catch(() => null),
        ),
      );
    }
  }
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function usageOf(jobs: readonly (Job & { result: JobResult })[]): Usage {
  const prompt = jobs.reduce((sum, job) => sum + job.result.promptTokens, 0);
  const completion = jobs.reduce((sum, job) => sum + job.result.completionTokens, 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function errorOf(job: Job) {
  return {
    message: `generation ${job.id} ${job.status}: ${job.error?.message ?? 'no result'}`,
    type: 'server_error',
    code: job.error?.code ?? job.status,
  };
}
