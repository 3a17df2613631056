import type { FinishReason, Job, JobResult } from '@warmgen/shared/domain/job.ts';

/**
 * OpenAI's `text_completion` object for finished jobs, one choice per job in order. The
 * same object is the `response.body` of a batch output line.
 */
export interface CompletionObject {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: {
    text: string;
    index: number;
    logprobs: null;
    finish_reason: 'stop' | 'length';
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** eos and stop sequences are both "stop" to OpenAI; length is length. */
export function finishReasonOf(reason: FinishReason): 'stop' | 'length' {
  return reason === 'length' ? 'length' : 'stop';
}

export function completionId(jobId: string): string {
  return `cmpl-${jobId}`;
}

export function completionObject(
  jobs: readonly (Job & { result: JobResult })[],
  model: string,
): CompletionObject {
  const first = jobs[0];
  if (first === undefined) {
    throw new Error('a completion needs at least one job');
  }
  const promptTokens = jobs.reduce((sum, job) => sum + job.result.promptTokens, 0);
  const completionTokens = jobs.reduce((sum, job) => sum + job.result.completionTokens, 0);
  return {
    id: completionId(first.id),
    object: 'text_completion',
    created: Math.floor(first.createdAtMs / 1000),
    model,
    choices: jobs.map((job, index) => ({
      text: job.result.text,
      index,
      logprobs: null,
      finish_reason: finishReasonOf(job.result.finishReason),
    })),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}
