import type { Batch, Job, StatusCounts } from '@warmgen/shared/domain/job.ts';
import { jobStatuses } from '@warmgen/shared/domain/job-status.ts';
import Type, { type Static } from 'typebox';
import { isoTime, JobViewSchema, toJobView } from './job-view.ts';

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
  webhook: Type.Union([
    Type.Object({ url: Type.String(), events: Type.Array(Type.String()) }),
    Type.Null(),
  ]),
});
export type BatchView = Static<typeof BatchViewSchema>;

export function toBatchView(batch: Batch, counts: StatusCounts): BatchView {
  return {
    id: batch.id,
    status: batchStatusOf(batch, counts),
    created_at: isoTime(batch.createdAtMs),
    total: batch.itemCount,
    counts: { ...counts },
    cancel_requested: batch.cancelRequested,
    webhook: batch.webhook,
  };
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
