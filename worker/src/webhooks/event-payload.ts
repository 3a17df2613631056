import { type UsageStore, withSettledUsage } from '@warmgen/shared/batches/settle-batch-usage.ts';
import type { WebhookEvent } from '@warmgen/shared/domain/webhook-event.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { toBatchView } from '@warmgen/shared/views/batch-view.ts';
import { toJobView } from '@warmgen/shared/views/job-view.ts';
import { webhookPayload } from '@warmgen/shared/views/webhook-payload.ts';

export type PayloadStore = Pick<JobStore, 'getJob' | 'getBatch' | 'countBatchJobs'> & UsageStore;

/** Rows per page when a batch's usage is summed for its payload. */
const usagePageSize = 500;

/**
 * The body of an event's requests: the job or batch as the API shows it, read when the
 * event leaves the outbox (the job is terminal by then, a completed batch changes only
 * if it is retried meanwhile, and then the view says so). A subject that no longer exists (deleted after its retention) is sent as its id.
 */
export async function buildEventPayload(event: WebhookEvent, store: PayloadStore): Promise<string> {
  if (event.type === 'batch.completed') {
    const batch = await store.getBatch(event.subjectId);
    if (batch === null) {
      return webhookPayload(event.type, event.createdAtMs, { id: event.subjectId } as never);
    }
    const counts = await store.countBatchJobs(batch.id);
    const data = toBatchView(await withSettledUsage(store, batch, counts, usagePageSize), counts);
    return webhookPayload(event.type, event.createdAtMs, data as never);
  }
  const job = await store.getJob(event.subjectId);
  const data = job === null ? { id: event.subjectId } : toJobView(job);
  return webhookPayload(event.type, event.createdAtMs, data as never);
}
