import type {
  Batch,
  BatchUsage,
  Job,
  JobError,
  JobResult,
  NewJob,
  StatusCounts,
} from '../domain/job.ts';

/**
 * The job store: the source of truth for every job. Each state change is a conditional
 * write, so whatever the queue delivers (twice, late, after a crash), a job is completed
 * exactly once. Every method that changes state returns whether it took effect.
 *
 * Each method takes one object (its input type is named after it, e.g. ClaimJob): ids,
 * durations and clocks side by side as positional numbers were easy to pass in the wrong
 * order (`completeJob(id, workerId, result, nowMs)` against `failJob(id, error, nowMs,
 * workerId?)`). A lone id or list stays a plain argument.
 */
export interface JobStore {
  /**
   * Records new jobs atomically (all or none). A job whose idempotencyKey already exists
   * is not created again; the existing job is returned in its place.
   */
  createJobs(jobs: NewJob[]): Promise<Job[]>;
  createBatch(input: CreateBatch): Promise<void>;

  getJob(id: string): Promise<Job | null>;
  getBatch(id: string): Promise<Batch | null>;

  /**
   * queued -> running, or running -> running when the previous lease has expired.
   * Returns the claimed job, or null when it is not claimable (terminal, leased, missing).
   */
  claimJob(input: ClaimJob): Promise<Job | null>;
  /** Extends the lease of a job this worker holds. */
  renewLease(input: RenewLease): Promise<boolean>;
  /** running (held by workerId) -> queued, for a retry elsewhere. */
  releaseJob(input: ReleaseJob): Promise<boolean>;
  /** running (held by workerId) -> succeeded. */
  completeJob(input: CompleteJob): Promise<boolean>;
  /**
   * queued | running -> failed. With workerId, only if that worker holds it; without
   * (the dead-letter path), from any non-terminal state.
   */
  failJob(input: FailJob): Promise<boolean>;
  /**
   * Cancel: a queued job becomes canceled at once; a running one gets cancelRequested and
   * becomes canceled when its worker notices. Returns the job after the change, or null.
   */
  requestCancel(input: RequestCancel): Promise<Job | null>;
  /**
   * running (held by workerId) -> canceled, after the worker stopped the row. With result,
   * the row's output so far (finishReason 'canceled') is kept as the job's result.
   */
  markCanceled(input: MarkCanceled): Promise<boolean>;

  /** Jobs of a batch ordered by customId, a page at a time (cursor = last customId). */
  listBatchJobs(input: ListBatchJobs): Promise<Job[]>;
  /**
   * Jobs of a batch in the order they were submitted (NewJob.inputIndex), a page at a time
   * (cursor = last inputIndex). Jobs without an inputIndex (batches stored before it
   * existed) are not listed here.
   */
  listBatchJobsInInputOrder(input: ListBatchJobsInInputOrder): Promise<Job[]>;
  countBatchJobs(batchId: string): Promise<StatusCounts>;
  /** Cancels every job of the batch as requestCancel would. Returns how many changed. */
  cancelBatch(input: CancelBatch): Promise<number>;
  /**
   * A new attempt of the failed and canceled rows of a finished batch: each goes back to
   * queued with its custom_id, prompt and params, its outcome cleared, `retries` + 1,
   * retriedAtMs = nowMs and not yet published (the caller publishes the returned ids and
   * marks them, as after createBatch; the orphan sweeper covers a crash in between, and
   * lists a retried row only once it is olderThanMs past retriedAtMs). The batch gets
   * `retries` + 1, its cancel flag and usage cleared, and owes one more batch.completed
   * when its last row ends again. Refused while any row is queued or running ('open') or
   * when no row failed or was canceled ('nothing_to_retry'). A retry cut short part-way
   * (only adapters that cannot write a batch in one transaction) is finished by the next
   * call, which then re-queues only the rows the first did not.
   */
  retryBatch(input: RetryBatch): Promise<RetryBatchOutcome>;
  /**
   * Records the batch's summed usage, only if it is still on retry number `retries` (a sum
   * read before a retry must not land after it). Returns whether it was written.
   */
  setBatchUsage(input: SetBatchUsage): Promise<boolean>;

  /**
   * The outbox mark: the jobs' queue messages were published. A job is written before its
   * message is published, so a publish that fails (or a process that dies in between)
   * leaves a queued job with no message; the orphan sweeper finds those through
   * listUnpublished and publishes them. Unknown ids are ignored. Claiming a job also marks
   * it published (its message evidently arrived).
   */
  markPublished(input: MarkPublished): Promise<void>;
  /**
   * Ids of queued jobs created (or, for a retried row, retried) at or before createdBeforeMs
   * that were never marked published, oldest first, at most limit.
   */
  listUnpublished(input: ListUnpublished): Promise<string[]>;

  /** Counts over the whole store, for metrics. */
  countJobs(): Promise<StatusCounts>;
  /** createdAtMs of the oldest queued job, or null when none is queued (GET /v1/capacity). */
  oldestQueuedAtMs(): Promise<number | null>;
  close(): Promise<void>;
}

// Each method's input. Times are epoch milliseconds (nowMs), durations milliseconds.

export interface CreateBatch {
  readonly batch: Batch;
  readonly jobs: NewJob[];
}

/** A lease taken (claimJob) or extended (renewLease) by workerId for leaseMs from nowMs. */
export interface ClaimJob {
  readonly id: string;
  readonly workerId: string;
  readonly leaseMs: number;
  readonly nowMs: number;
}
export type RenewLease = ClaimJob;

export interface ReleaseJob {
  readonly id: string;
  readonly workerId: string;
}

export interface CompleteJob {
  readonly id: string;
  readonly workerId: string;
  readonly result: JobResult;
  readonly nowMs: number;
}

export interface FailJob {
  readonly id: string;
  readonly error: JobError;
  readonly nowMs: number;
  /** Only if this worker holds the job; absent on the dead-letter path (any holder). */
  readonly workerId?: string | undefined;
}

export interface RequestCancel {
  readonly id: string;
  readonly nowMs: number;
}

export interface MarkCanceled {
  readonly id: string;
  readonly workerId: string;
  readonly nowMs: number;
  /** The row's output so far, kept as the job's result (finishReason 'canceled'). */
  readonly result?: JobResult | undefined;
}

export interface ListBatchJobs {
  readonly batchId: string;
  /** The cursor: the last customId of the previous page, or null for the first. */
  readonly afterCustomId: string | null;
  readonly limit: number;
}

export interface ListBatchJobsInInputOrder {
  readonly batchId: string;
  /** The cursor: the last inputIndex of the previous page, or null for the first. */
  readonly afterInputIndex: number | null;
  readonly limit: number;
}

export interface CancelBatch {
  readonly batchId: string;
  readonly nowMs: number;
}

export interface RetryBatch {
  readonly batchId: string;
  readonly nowMs: number;
}

export type RetryBatchOutcome =
  | { readonly outcome: 'retried'; readonly batch: Batch; readonly jobIds: string[] }
  | { readonly outcome: 'open' | 'nothing_to_retry' | 'not_found' };

export interface SetBatchUsage {
  readonly batchId: string;
  /** The batch's `retries` when the sum was read. */
  readonly retries: number;
  readonly usage: BatchUsage;
}

export interface MarkPublished {
  readonly ids: string[];
  readonly nowMs: number;
}

export interface ListUnpublished {
  readonly createdBeforeMs: number;
  readonly limit: number;
}
