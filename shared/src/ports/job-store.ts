import type { Batch, Job, JobError, JobResult, NewJob, StatusCounts } from '../domain/job.ts';

/**
 * The job store: the source of truth for every job. Each state change is a conditional
 * write, so whatever the queue delivers (twice, late, after a crash), a job is completed
 * exactly once. Every method that changes state returns whether it took effect.
 */
export interface JobStore {
  /**
   * Records new jobs atomically (all or none). A job whose idempotencyKey already exists
   * is not created again; the existing job is returned in its place.
   */
  createJobs(jobs: NewJob[]): Promise<Job[]>;
  createBatch(batch: Batch, jobs: NewJob[]): Promise<void>;

  getJob(id: string): Promise<Job | null>;
  getBatch(id: string): Promise<Batch | null>;

  /**
   * queued -> running, or running -> running when the previous lease has expired.
   * Returns the claimed job, or null when it is not claimable (terminal, leased, missing).
   */
  claimJob(id: string, workerId: string, leaseMs: number, nowMs: number): Promise<Job | null>;
  /** Extends the lease of a job this worker holds. */
  renewLease(id: string, workerId: string, leaseMs: number, nowMs: number): Promise<boolean>;
  /** running (held by workerId) -> queued, for a retry elsewhere. */
  releaseJob(id: string, workerId: string): Promise<boolean>;
  /** running (held by workerId) -> succeeded. */
  completeJob(id: string, workerId: string, result: JobResult, nowMs: number): Promise<boolean>;
  /**
   * queued | running -> failed. With workerId, only if that worker holds it; without
   * (the dead-letter path), from any non-terminal state.
   */
  failJob(id: string, error: JobError, nowMs: number, workerId?: string): Promise<boolean>;
  /**
   * Cancel: a queued job becomes canceled at once; a running one gets cancelRequested and
   * becomes canceled when its worker notices. Returns the job after the change, or null.
   */
  requestCancel(id: string, nowMs: number): Promise<Job | null>;
  /**
   * running (held by workerId) -> canceled, after the worker stopped the row. With result,
   * the row's output so far (finishReason 'canceled') is kept as the job's result.
   */
  markCanceled(id: string, workerId: string, nowMs: number, result?: JobResult): Promise<boolean>;

  /** Jobs of a batch ordered by customId, a page at a time (cursor = last customId). */
  listBatchJobs(batchId: string, afterCustomId: string | null, limit: number): Promise<Job[]>;
  /**
   * Jobs of a batch in the order they were submitted (NewJob.inputIndex), a page at a time
   * (cursor = last inputIndex). Jobs without an inputIndex (batches stored before it
   * existed) are not listed here.
   */
  listBatchJobsInInputOrder(
    batchId: string,
    afterInputIndex: number | null,
    limit: number,
  ): Promise<Job[]>;
  countBatchJobs(batchId: string): Promise<StatusCounts>;
  /** Cancels every job of the batch as requestCancel would. Returns how many changed. */
  cancelBatch(batchId: string, nowMs: number): Promise<number>;

  /**
   * The outbox mark: the jobs' queue messages were published. A job is written before its
   * message is published, so a publish that fails (or a process that dies in between)
   * leaves a queued job with no message; the orphan sweeper finds those through
   * listUnpublished and publishes them. Unknown ids are ignored. Claiming a job also marks
   * it published (its message evidently arrived).
   */
  markPublished(ids: string[], nowMs: number): Promise<void>;
  /**
   * Ids of queued jobs created at or before createdBeforeMs that were never marked
   * published, oldest first, at most limit.
   */
  listUnpublished(createdBeforeMs: number, limit: number): Promise<string[]>;

  /** Counts over the whole store, for metrics. */
  countJobs(): Promise<StatusCounts>;
  close(): Promise<void>;
}
