import { type DocumentData, Timestamp } from '@google-cloud/firestore';
import { storedGenerationParams } from '../../domain/generation-params.ts';
import { type Batch, type Job, type NewJob, queuedJob } from '../../domain/job.ts';
import type { JobStatus } from '../../domain/job-status.ts';

/**
 * How jobs and batches are laid out in Firestore. A job document holds the domain fields
 * under their domain names, plus two the domain never sees:
 * - publishedAtMs: null until the job's queue message was published (the orphan sweeper
 *   looks for queued jobs where it is still null);
 * - expireAt: set when the job becomes terminal, retention after it finished; a TTL
 *   policy on this field deletes the document (infra/firestore-indexes.json).
 * Batch documents and idempotency-key documents carry expireAt from creation.
 */
export interface JobDocument extends Job {
  publishedAtMs: number | null;
  expireAt?: Timestamp;
}

export interface BatchDocument extends Batch {
  expireAt: Timestamp;
  /**
   * True while the batch's batch.completed event is owed: its webhook asked for it and it
   * has not been recorded yet (FirestoreWebhookEventStore.recordBatchCompletions).
   */
  completionEventPending: boolean;
  /**
   * True while a retry is re-queueing the batch's rows (FirestoreJobStore.retryBatch): its
   * batch.completed is not owed until every row it will re-queue is queued. A retry cut
   * short leaves it set; the next retry of the batch finishes the walk.
   */
  retrying?: boolean;
}

/** An idempotency key's claim on a job; the document id is a hash of the key. */
export interface IdempotencyKeyDocument {
  key: string;
  jobId: string;
  expireAt: Timestamp;
}

export function newJobDocument(job: NewJob): JobDocument {
  return { ...queuedJob(job), publishedAtMs: null };
}

/** The domain view of a stored job: storage-only fields are left out. */
export function documentToJob(data: DocumentData): Job {
  return {
    id: data.id,
    prompt: data.prompt,
    params: storedGenerationParams(data.params),
    batchId: data.batchId ?? null,
    customId: data.customId ?? null,
    webhook: data.webhook ?? null,
    idempotencyKey: data.idempotencyKey ?? null,
    createdAtMs: data.createdAtMs,
    status: data.status as JobStatus,
    attempts: data.attempts,
    leaseOwner: data.leaseOwner ?? null,
    leaseExpiresAtMs: data.leaseExpiresAtMs ?? null,
    cancelRequested: data.cancelRequested === true,
    startedAtMs: data.startedAtMs ?? null,
    finishedAtMs: data.finishedAtMs ?? null,
    result: data.result ?? null,
    error: data.error ?? null,
    owner: data.owner ?? null,
    traceId: data.traceId ?? null,
    inputIndex: data.inputIndex ?? null,
    retries: data.retries ?? 0,
    retriedAtMs: data.retriedAtMs ?? null,
  };
}

export function batchDocument(batch: Batch, expireAtMs: number): BatchDocument {
  return {
    ...batch,
    owner: batch.owner ?? null,
    retries: batch.retries ?? 0,
    usage: batch.usage ?? null,
    expireAt: Timestamp.fromMillis(expireAtMs),
    completionEventPending: batch.webhook?.events.includes('batch.completed') ?? false,
  };
}

export function documentToBatch(data: DocumentData): Batch {
  return {
    id: data.id,
    createdAtMs: data.createdAtMs,
    itemCount: data.itemCount,
    webhook: data.webhook ?? null,
    cancelRequested: data.cancelRequested === true,
    owner: data.owner ?? null,
    retries: data.retries ?? 0,
    usage: data.usage ?? null,
  };
}

export function expireAt(ms: number): Timestamp {
  return Timestamp.fromMillis(ms);
}
