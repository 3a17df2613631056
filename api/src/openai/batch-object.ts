import type { BatchUsage, StatusCounts } from '@warmgen/shared/domain/job.ts';
import type { OpenAiBatchRecord } from '@warmgen/shared/ports/openai-batch-store.ts';
import { batchFileId } from './file-object.ts';

export type OpenAiBatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

/**
 * OpenAI's batch status, from the record and the job counts. Validation runs while the
 * batch is created, so `validating` is never seen after create returns, and finishing
 * writes nothing, so neither is `finalizing`: a batch goes from in_progress straight to
 * completed (or cancelling to cancelled) as its last job ends.
 */
export function batchStatusOf(record: OpenAiBatchRecord, counts: StatusCounts): OpenAiBatchStatus {
  if (record.errors !== null) {
    return 'failed';
  }
  const open = counts.queued + counts.running;
  if (record.expiredAtMs !== null) {
    return 'expired';
  }
  if (open > 0) {
    return record.cancellingAtMs === null ? 'in_progress' : 'cancelling';
  }
  return record.cancellingAtMs === null ? 'completed' : 'cancelled';
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/**
 * OpenAI's batch object. `request_counts.failed` counts failed and canceled lines alike.
 * `usage` is the warmgen batch's sum, null until the batch (or its latest retry) finished.
 */
export function toBatchObject(
  record: OpenAiBatchRecord,
  counts: StatusCounts,
  model: string,
  usage: BatchUsage | null,
) {
  const status = batchStatusOf(record, counts);
  const finished = ['completed', 'cancelled', 'expired'].includes(status);
  const finishedAt = finished ? seconds(record.finishedAtMs ?? record.expiredAtMs) : null;
  const unsuccessful = counts.failed + counts.canceled;
  return {
    id: record.id,
    object: 'batch' as const,
    endpoint: record.endpoint,
    model,
    errors: record.errors === null ? null : { object: 'list', data: record.errors },
    input_file_id: record.inputFileId,
    completion_window: record.completionWindow,
    status,
    output_file_id: finished && counts.succeeded > 0 ? batchFileId(record.id, 'output') : null,
    error_file_id: finished && unsuccessful > 0 ? batchFileId(record.id, 'error') : null,
    created_at: seconds(record.createdAtMs),
    in_progress_at: record.errors === null ? seconds(record.createdAtMs) : null,
    expires_at: seconds(record.expiresAtMs),
    finalizing_at: status === 'completed' ? finishedAt : null,
    completed_at: status === 'completed' ? finishedAt : null,
    failed_at: record.errors === null ? null : seconds(record.createdAtMs),
    expired_at: seconds(record.expiredAtMs),
    cancelling_at: seconds(record.cancellingAtMs),
    cancelled_at: status === 'cancelled' ? finishedAt : null,
    request_counts: {
      total: record.total,
      completed: counts.succeeded,
      failed: unsuccessful,
    },
    metadata: record.metadata,
    // OpenAI's shape.
    usage:
      usage === null
        ? null
        : {
            input_tokens: usage.promptTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: usage.completionTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: usage.promptTokens + usage.completionTokens,
          },
  };
}
