import Type, { type Static } from 'typebox';
import { GenerationParamsSchema } from '../domain/generation-params.ts';
import type { Job } from '../domain/job.ts';
import { jobStatuses } from '../domain/job-status.ts';
import type { WebhookEvent } from '../domain/webhook-event.ts';
import { isoTime } from './iso-time.ts';
import { toUsageView, UsageViewSchema } from './usage-view.ts';
import { toWebhookDeliveryView, WebhookDeliveryViewSchema } from './webhook-delivery-view.ts';

/**
 * A job as the API shows it: snake_case, times as RFC 3339 strings. The same object is the
 * `data` of its webhook events (without `webhook_delivery`, which describes the delivery
 * itself), so a receiver sees exactly what GET /v1/generations/{id} returns.
 */
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(
  schema: T,
  options?: { description: string },
) => Type.Union([schema, Type.Null()], options);

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
  retries: Type.Integer({
    minimum: 0,
    description: 'Times a batch retry queued this item again; 0 on its first run.',
  }),
  cancel_requested: Type.Boolean(),
  result: nullable(
    Type.Object({
      text: Type.String(),
      finish_reason: Type.String({ description: 'length, stop, eos or canceled' }),
      usage: UsageViewSchema,
      timings: Type.Object({
        queue_ms: Type.Number(),
        generate_ms: Type.Number(),
        tokens_per_second: Type.Number(),
      }),
    }),
  ),
  error: nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  webhook_delivery: Type.Optional(
    nullable(WebhookDeliveryViewSchema, {
      description: 'The webhook event sent for this job, with every attempt; null when none.',
    }),
  ),
});
export type JobView = Static<typeof JobViewSchema>;

/**
 * `delivery`: the job's webhook event (or null) for the API view; leave it out for a
 * webhook payload.
 */
export function toJobView(job: Job, delivery?: WebhookEvent | null): JobView {
  const view: JobView = {
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
    retries: job.retries,
    cancel_requested: job.cancelRequested,
    result: job.result && {
      text: job.result.text,
      finish_reason: job.result.finishReason,
      usage: toUsageView(job.result),
      timings: {
        queue_ms: job.result.timings.queueMs,
        generate_ms: job.result.timings.generateMs,
        tokens_per_second: job.result.timings.tokensPerSecond,
      },
    },
    error: job.error,
  };
  if (delivery !== undefined) {
    view.webhook_delivery = delivery === null ? null : toWebhookDeliveryView(delivery);
  }
  return view;
}
