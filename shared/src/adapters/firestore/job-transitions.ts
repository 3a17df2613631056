import { FieldValue, type Timestamp } from '@google-cloud/firestore';
import type { JobError, JobResult } from '../../domain/job.ts';
import { expireAt, type JobDocument } from './job-documents.ts';

/**
 * The store's state changes as pure decisions: each takes the job document as read and
 * returns the fields to write, or null when the change is not allowed from that state.
 * The same rules as the SQLite store's WHERE clauses; the caller writes the changes only
 * if the document is still the one it read (an update-time precondition).
 */
export type JobChanges = Partial<JobDocument>;
export type Decide = (job: JobDocument) => JobChanges | null;

// A terminal transition also drops the lease: leaseOwner names a worker only while running.
const endLease = { leaseOwner: null, leaseExpiresAtMs: null } as const;

const held = (job: JobDocument, workerId: string) =>
  job.status === 'running' && job.leaseOwner === workerId;

/** The end of a job: finish time, and when the TTL policy may delete it. */
function finish(nowMs: number, retentionMs: number) {
  return { finishedAtMs: nowMs, expireAt: expireAt(nowMs + retentionMs), ...endLease };
}

export const claim =
  (workerId: string, leaseMs: number, nowMs: number): Decide =>
  (job) => {
    const claimable =
      job.status === 'queued' ||
      (job.status === 'running' && job.leaseExpiresAtMs !== null && job.leaseExpiresAtMs <= nowMs);
    if (!claimable) {
      return null;
    }
    return {
      status: 'running',
      leaseOwner: workerId,
      leaseExpiresAtMs: nowMs + leaseMs,
      attempts: job.attempts + 1,
      startedAtMs: nowMs,
      // A worker got its message, so it was published even if markPublished never ran.
      publishedAtMs: job.publishedAtMs ?? nowMs,
    };
  };

export const renew =
  (workerId: string, leaseMs: number, nowMs: number): Decide =>
  (job) =>
    held(job, workerId) ? { leaseExpiresAtMs: nowMs + leaseMs } : null;

export const release =
  (workerId: string): Decide =>
  (job) =>
    held(job, workerId) ? { status: 'queued', ...endLease } : null;

export const complete =
  (workerId: string, result: JobResult, nowMs: number, retentionMs: number): Decide =>
  (job) =>
    held(job, workerId) ? { status: 'succeeded', result, ...finish(nowMs, retentionMs) } : null;

/** With workerId only if that worker holds it; without, from any non-terminal state. */
export const fail =
  (error: JobError, nowMs: number, retentionMs: number, workerId?: string): Decide =>
  (job) => {
    const allowed =
      workerId === undefined
        ? job.status === 'queued' || job.status === 'running'
        : held(job, workerId);
    return allowed ? { status: 'failed', error, ...finish(nowMs, retentionMs) } : null;
  };

/**
 * queued -> canceled now; running keeps running with cancelRequested until its worker
 * stops the row. Null when there is nothing to change (finished, or already flagged).
 */
export const requestCancel =
  (nowMs: number, retentionMs: number): Decide =>
  (job) => {
    if (job.status === 'queued') {
      return { status: 'canceled', cancelRequested: true, ...finish(nowMs, retentionMs) };
    }
    if (job.status === 'running' && !job.cancelRequested) {
      return { cancelRequested: true };
    }
    return null;
  };

/** With result, the stopped row's output so far is kept. */
export const markCanceled =
  (workerId: string, nowMs: number, retentionMs: number, result?: JobResult): Decide =>
  (job) =>
    held(job, workerId)
      ? { status: 'canceled', result: result ?? null, ...finish(nowMs, retentionMs) }
      : null;

/**
 * failed | canceled -> queued for retry number `round` of its batch, as a new job would be
 * (attempts 0, no outcome, unpublished), unless this round re-queued it already (a retry
 * finishing the walk of one cut short). A queued job is never expired: expireAt goes.
 */
export const retry =
  (round: number, nowMs: number): Decide =>
  (job) =>
    (job.status === 'failed' || job.status === 'canceled') && (job.retries ?? 0) < round
      ? {
          status: 'queued',
          attempts: 0,
          cancelRequested: false,
          startedAtMs: null,
          finishedAtMs: null,
          result: null,
          error: null,
          ...endLease,
          publishedAtMs: null,
          retries: round,
          retriedAtMs: nowMs,
          // A field delete is a write sentinel, not a Timestamp; the document type has none.
          expireAt: FieldValue.delete() as unknown as Timestamp,
        }
      : null;
