import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { Job } from '@warmgen/shared/domain/job.ts';
import { isTerminal } from '@warmgen/shared/domain/job-status.ts';
import type { RunLoopStore } from '../run-loop-ports.ts';

export interface InMemoryJobStore extends RunLoopStore {
  readonly jobs: Map<string, Job>;
  /** Every state-changing write that took effect, in order: `${write}:${jobId}`. */
  readonly writes: string[];
  add(id: string, overrides?: Partial<Job>): Job;
  requestCancel(id: string): void;
  /** Makes the next calls of a method throw (an outage). */
  failNext(method: keyof RunLoopStore, times?: number): void;
}

/**
 * A plain-object store with the port's conditional-write semantics, for unit tests. Each
 * method yields to the event loop first, as a real store's round trip would, so two loops
 * on one store really interleave.
 */
export function createInMemoryJobStore(): InMemoryJobStore {
  const jobs = new Map<string, Job>();
  const writes: string[] = [];
  const failures = new Map<string, number>();

  const enter = async (method: string): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    const left = failures.get(method) ?? 0;
    if (left > 0) {
      failures.set(method, left - 1);
      throw new Error(`${method}: store unavailable`);
    }
  };
  const held = (job: Job | undefined, workerId: string): job is Job =>
    job !== undefined && job.status === 'running' && job.leaseOwner === workerId;
  const write = (name: string, id: string, job: Job, changes: Partial<Job>): true => {
    jobs.set(id, { ...job, ...changes });
    writes.push(`${name}:${id}`);
    return true;
  };

  return {
    jobs,
    writes,
    add(id, overrides = {}) {
      const job: Job = {
        id,
        prompt: `prompt of ${id}`,
        params: resolveGenerationParams({ max_new_tokens: 4 }),
        batchId: null,
        customId: null,
        webhook: null,
        idempotencyKey: null,
        createdAtMs: Date.now(),
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
        ...overrides,
      };
      jobs.set(id, job);
      return job;
    },
    requestCancel(id) {
      const job = jobs.get(id);
      if (job && !isTerminal(job.status)) {
        jobs.set(id, { ...job, cancelRequested: true });
      }
    },
    failNext(method, times = 1) {
      failures.set(method, times);
    },
    async getJob(id) {
      await enter('getJob');
      const job = jobs.get(id);
      return job ? { ...job } : null;
    },
    async claimJob({ id, workerId, leaseMs, nowMs }) {
      await enter('claimJob');
      const job = jobs.get(id);
      const expired =
        job?.status === 'running' && job.leaseExpiresAtMs !== null && job.leaseExpiresAtMs <= nowMs;
      if (!job || !(job.status === 'queued' || expired)) {
        return null;
      }
      write('claim', id, job, {
        status: 'running',
        leaseOwner: workerId,
        leaseExpiresAtMs: nowMs + leaseMs,
        attempts: job.attempts + 1,
        startedAtMs: job.startedAtMs ?? nowMs,
      });
      return { ...jobs.get(id)! };
    },
    async renewLease({ id, workerId, leaseMs, nowMs }) {
      await enter('renewLease');
      const job = jobs.get(id);
      if (!held(job, workerId)) {
        return false;
      }
      jobs.set(id, { ...job, leaseExpiresAtMs: nowMs + leaseMs });
      return true;
    },
    async releaseJob({ id, workerId }) {
      await enter('releaseJob');
      const job = jobs.get(id);
      return held(job, workerId)
        ? write('release', id, job, { status: 'queued', leaseOwner: null, leaseExpiresAtMs: null })
        : false;
    },
    async completeJob({ id, workerId, result, nowMs }) {
      await enter('completeJob');
      const job = jobs.get(id);
      return held(job, workerId)
        ? write('complete', id, job, { status: 'succeeded', result, finishedAtMs: nowMs })
        : false;
    },
    async failJob({ id, error, nowMs, workerId }) {
      await enter('failJob');
      const job = jobs.get(id);
      const allowed =
        job !== undefined &&
        (workerId === undefined ? !isTerminal(job.status) : held(job, workerId));
      return allowed
        ? write('fail', id, job, { status: 'failed', error, finishedAtMs: nowMs })
        : false;
    },
    async markCanceled({ id, workerId, nowMs, result }) {
      await enter('markCanceled');
      const job = jobs.get(id);
      return held(job, workerId)
        ? write('cancel', id, job, {
            status: 'canceled',
            result: result ?? null,
            finishedAtMs: nowMs,
          })
        : false;
    },
  };
}
