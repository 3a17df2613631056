import type { GenerationParams } from './generation-params.ts';
import type { JobStatus } from './job-status.ts';

/** Why a row stopped generating. */
export type FinishReason = 'length' | 'stop' | 'eos' | 'canceled';

export interface WebhookSpec {
  url: string;
  events: string[];
}

export interface JobTimings {
  /** From acceptance to the moment a worker claimed it. */
  queueMs: number;
  /** Wall time of the generate call that produced the result. */
  generateMs: number;
  tokensPerSecond: number;
}

export interface JobResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: FinishReason;
  timings: JobTimings;
}

export interface JobError {
  code: string;
  message: string;
}

/** What the API hands the store when it accepts a job. */
export interface NewJob {
  id: string;
  prompt: string;
  /** Fully resolved: defaults already applied. */
  params: GenerationParams;
  batchId: string | null;
  customId: string | null;
  webhook: WebhookSpec | null;
  idempotencyKey: string | null;
  /** Epoch milliseconds. */
  createdAtMs: number;
  /**
   * The API key (its owner id, see api/src/auth) that submitted the job; only that key can
   * read or cancel it. null or absent when the API runs without keys.
   */
  owner?: string | null;
  /**
   * The Cloud Trace id (32 hex) of the request that submitted the job, so the worker's log
   * lines for it join that trace (shared/src/logging/cloud-trace.ts). null or absent: none.
   */
  traceId?: string | null;
  /**
   * A batch item's 0-based position in the input as submitted (array order, JSONL line
   * order), for results in input order; null or absent for single jobs.
   */
  inputIndex?: number | null;
}

export interface Job extends NewJob {
  status: JobStatus;
  /** Claims so far (a crash or release followed by a new claim counts again). */
  attempts: number;
  /** Worker holding the job while it is running. */
  leaseOwner: string | null;
  leaseExpiresAtMs: number | null;
  /** Set by cancel on a running job; the worker stops the row at its next decode step. */
  cancelRequested: boolean;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  result: JobResult | null;
  error: JobError | null;
  /**
   * Times a batch retry put this row back in the queue (POST /v1/batches/{id}/retry); 0 on
   * its first run. Each run fires its own webhook event (the event's key includes it).
   */
  retries: number;
  /** When the latest retry queued it again (the start of its queue time); null before. */
  retriedAtMs: number | null;
}

/** Tokens summed over a batch's rows. */
export interface BatchUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface Batch {
  id: string;
  createdAtMs: number;
  itemCount: number;
  webhook: WebhookSpec | null;
  cancelRequested: boolean;
  /** As NewJob.owner. */
  owner?: string | null;
  /**
   * Retries so far: each one re-queues the failed and canceled rows of the finished batch
   * and owes one more batch.completed. Absent on a new batch (0).
   */
  retries?: number;
  /**
   * Tokens of the rows, summed once after the batch (or its latest retry) finished; null
   * while it runs and until the first read after it finished. Absent on a new batch (null).
   */
  usage?: BatchUsage | null;
}

export type StatusCounts = Record<JobStatus, number>;

/** A job as the store records it on acceptance: queued, never claimed, no outcome. */
export function queuedJob(job: NewJob): Job {
  return {
    ...job,
    owner: job.owner ?? null,
    traceId: job.traceId ?? null,
    inputIndex: job.inputIndex ?? null,
    status: 'queued',
    attempts: 0,
    leaseOwner: null,
    leaseExpiresAtMs: null,
    cancelRequested: false,
    startedAtMs: null,
    finishedAtMs: null,
    result: null,
    error: null,
    retries: 0,
    retriedAtMs: null,
  };
}

/** When the job's current wait in the queue began: its acceptance, or its latest retry. */
export function queuedSinceMs(job: Job): number {
  return job.retriedAtMs ?? job.createdAtMs;
}
