import Type, { type Static } from 'typebox';
import type { Batch, Job, StatusCounts } from '../domain/job.ts';
import { jobStatuses } from '../domain/job-status.ts';
import type { WebhookEvent } from '../domain/webhook-event.ts';
import { isoTime } from './iso-time.ts';
import { JobViewSchema, toJobView } from './job-view.ts';
import { toUsageView, UsageViewSchema } from './usage-view.ts';
import { toWebhookDeliveryView, WebhookDeliveryViewSchema } from './webhook-delivery-view.ts';

/**
 * A batch's status follows from its jobs' counts:
 *   in_progress  some job is queued or running
 *   canceling    cancel was requested and some job is still running (or queued)
 *   completed    every job is terminal and no cancel was requested
 *   canceled     every job is terminal after a cancel
 */
export const batchStatuses = ['in_progress', 'canceling', 'completed', 'canceled'] as const;
export type BatchStatus = (typeof batchStatuses)[number];

export function batchStatusOf(batch: Batch, counts: StatusCounts): BatchStatus {
  const pending = counts.queued + counts.running;
  if (pending > 0) {
    return batch.cancelRequested ? 'canceling' : 'in_progress';
  }
  return batch.cancelRequested ? 'canceled' : 'completed';
}

const CountsSchema = Type.Object(
  Object.fromEntries(jobStatuses.map((s) => [s, Type.Integer({ minimum: 0 })])) as Record<
    (typeof jobStatuses)[number],
    ReturnType<typeof Type.Integer>
  >,
);

export const BatchViewSchema = Type.Object({
  id: Type.String(),
  status: Type.Enum([...batchStatuses]),
  created_at: Type.String({ format: 'date-time' }),
  total: Type.Integer({ minimum: 0 }),
  counts: CountsSchema,
  cancel_requested: Type.Boolean(),
  retries: Type.Integer({
    minimum: 0,
    description:
      'Retries so far (POST /v1/batches/{id}/retry): each re-queued the failed and canceled items.',
  }),
  usage: Type.Union([UsageViewSchema, Type.Null()], {
    description:
      'Tokens summed over the items with a result (succeeded, or canceled part-way), once the batch ' +
      '(or its latest retry) has finished; null while it runs.',
  }),
  webhook: Type.Union([
    Type.Object({ url: Type.String(), events: Type.Array(Type.String()) }),
    Type.Null(),
  ]),
  webhook_delivery: Type.Optional(
    Type.Union([WebhookDeliveryViewSchema, Type.Null()], {
      description: 'The batch.completed event, with every attempt; null when none (yet).',
    }),
  ),
});
export type BatchView = Static<typeof BatchViewSchema>;

/** `delivery` as for toJobView: the batch's event (or null) in the API view only. */
export function toBatchView(
  batch: Batch,
  counts: StatusCounts,
  delivery?: WebhookEvent | null,
): BatchView {
  const view: BatchView = {
    id: batch.id,
    status: batchStatusOf(batch, counts),
    created_at: isoTime(batch.createdAtMs),
    total: batch.itemCount,
    counts: { ...counts },
    cancel_requested: batch.cancelRequested,
    retries: batch.retries ?? 0,
    usage: batch.usage === null || batch.usage === undefined ? null : toUsageView(batch.usage),
    webhook: batch.webhook,
  };
  if (delivery !== undefined) {
    view.webhook_delivery = delivery === null ? null : toWebhookDeliveryView(delivery);
  }
  return view;
}

/** One line of GET /v1/batches/:id/results. */
export const BatchResultLineSchema = Type.Object({
  custom_id: Type.String(),
  id: Type.String(),
  status: JobViewSchema.properties.status,
  result: JobViewSchema.properties.result,
  error: JobViewSchema.properties.error,
});

export function toResultLine(job: Job): string {
  const view = toJobView(job);
  return `${JSON.stringify({
    custom_id: job.customId,
    id: job.id,
    status: job.status,
    result: view.result,
    error: view.error,
  })}\n`;
}
