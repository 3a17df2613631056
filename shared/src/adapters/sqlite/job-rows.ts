import type { SQLInputValue, SQLOutputValue } from 'node:sqlite';
import { storedGenerationParams } from '../../domain/generation-params.ts';
import type { Batch, Job, NewJob } from '../../domain/job.ts';
import type { JobStatus } from '../../domain/job-status.ts';

/**
 * Conversions between domain objects and rows of the jobs and batches tables. Structured
 * fields are JSON text; booleans are 0/1; times are epoch milliseconds.
 */
type InputRow = Record<string, SQLInputValue>;
type OutputRow = Record<string, SQLOutputValue>;

export const jobColumns =
  'id, prompt, params, batch_id, custom_id, webhook, idempotency_key, created_at_ms, status, ' +
  'attempts, lease_owner, lease_expires_at_ms, cancel_requested, started_at_ms, finished_at_ms, ' +
  'result, error, owner, trace_id, input_index, retries, retried_at_ms';

/** Named parameters for inserting a new job (status queued, no attempts). */
export function newJobParams(job: NewJob): InputRow {
  return {
    id: job.id,
    prompt: job.prompt,
    params: JSON.stringify(job.params),
    batch_id: job.batchId,
    custom_id: job.customId,
    webhook: toJson(job.webhook),
    idempotency_key: job.idempotencyKey,
    created_at_ms: job.createdAtMs,
    owner: job.owner ?? null,
    trace_id: job.traceId ?? null,
    input_index: job.inputIndex ?? null,
  };
}

export function rowToJob(row: OutputRow): Job {
  return {
    id: String(row.id),
    prompt: String(row.prompt),
    params: storedGenerationParams(JSON.parse(String(row.params))),
    batchId: nullableString(row.batch_id),
    customId: nullableString(row.custom_id),
    webhook: fromJson(row.webhook),
    idempotencyKey: nullableString(row.idempotency_key),
    createdAtMs: Number(row.created_at_ms),
    status: String(row.status) as JobStatus,
    attempts: Number(row.attempts),
    leaseOwner: nullableString(row.lease_owner),
    leaseExpiresAtMs: nullableNumber(row.lease_expires_at_ms),
    cancelRequested: row.cancel_requested === 1,
    startedAtMs: nullableNumber(row.started_at_ms),
    finishedAtMs: nullableNumber(row.finished_at_ms),
    result: fromJson(row.result),
    error: fromJson(row.error),
    owner: nullableString(row.owner),
    traceId: nullableString(row.trace_id),
    inputIndex: nullableNumber(row.input_index),
    retries: Number(row.retries ?? 0),
    retriedAtMs: nullableNumber(row.retried_at_ms),
  };
}

export function batchParams(batch: Batch): InputRow {
  return {
    id: batch.id,
    created_at_ms: batch.createdAtMs,
    item_count: batch.itemCount,
    webhook: toJson(batch.webhook),
    cancel_requested: batch.cancelRequested ? 1 : 0,
    owner: batch.owner ?? null,
    retries: batch.retries ?? 0,
    usage: toJson(batch.usage),
  };
}

export function rowToBatch(row: OutputRow): Batch {
  return {
    id: String(row.id),
    createdAtMs: Number(row.created_at_ms),
    itemCount: Number(row.item_count),
    webhook: fromJson(row.webhook),
    cancelRequested: row.cancel_requested === 1,
    owner: nullableString(row.owner),
    retries: Number(row.retries ?? 0),
    usage: fromJson(row.usage),
  };
}

export function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function fromJson<T>(value: SQLOutputValue | undefined): T | null {
  return value === null || value === undefined ? null : (JSON.parse(String(value)) as T);
}

function nullableString(value: SQLOutputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

function nullableNumber(value: SQLOutputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}
