import { GenerationParamsSchema } from '@warmgen/shared/domain/generation-params.ts';
import type { Job } from '@warmgen/shared/domain/job.ts';
import { jobStatuses } from '@warmgen/shared/domain/job-status.ts';
import Type, { type Static } from 'typebox';

/** A job as the API shows it: snake_case, times as RFC 3339 strings. */
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const JobViewSchema = Type.Object({
  id: Type.String(),
  status: Type.Enum([...jobStatuses]),
  created_at: Type.String({ format: 'date-time' }),
  started_at: nullable(Type.String({ format: 'date-time' })),
  finished_at: nullable(Type.String({ format: 'date-time' })),
  prompt: Type.String(),
  params: GenerationParamsSchema,
  webhook: nullable(Type.Object({ url: Type.String(), events: Type.Array(Type.String()) })),
  batch_id: nullable(Type.String()),
  custom_id: nullable(Type.String()),
  attempts: Type.Integer(),
  cancel_requested: Type.Boolean(),
  result: nullable(
    Type.Object({
      text: Type.String(),
      finish_reason: Type.String({ description: 'length, stop, eos or canceled' }),
      usage: Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer() }),
      timings: Type.Object({
        queue_ms: Type.Number(),
        generate_ms: Type.Number(),
        tokens_per_second: Type.Number(),
      }),
    }),
  ),
  error: nullable(Type.Object({ code: Type.String(), message: Type.String() })),
});
export type JobView = Static<typeof JobViewSchema>;

export function toJobView(job: Job): JobView {
  return {
    id: job.id,
    status: job.status,
    created_at: isoTime(job.createdAtMs),
    started_at: job.startedAtMs === null ? null : isoTime(job.startedAtMs),
    finished_at: job.finishedAtMs === null ? null : isoTime(job.finishedAtMs),
    prompt: job.prompt,
    params: job.params,
    webhook: job.webhook,
    batch_id: job.batchId,
    custom_id: job.customId,
    attempts: job.attempts,
    cancel_requested: job.cancelRequested,
    result: job.result && {
      text: job.result.text,
      finish_reason: job.result.finishReason,
      usage: {
        prompt_tokens: job.result.promptTokens,
        completion_tokens: job.result.completionTokens,
      },
      timings: {
        queue_ms: job.result.timings.queueMs,
        generate_ms: job.result.timings.generateMs,
        tokens_per_second: job.result.timings.tokensPerSecond,
      },
    },
    error: job.error,
  };
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
