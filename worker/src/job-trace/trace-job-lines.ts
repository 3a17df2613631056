import type { Job } from '@warmgen/shared/domain/job.ts';
import { traceFields } from '@warmgen/shared/logging/cloud-trace.ts';
import type { Logger, LogMethod } from '@warmgen/shared/logging/logger.ts';
import type { RunLoopStore } from '../run-loop/run-loop-ports.ts';

/**
 * Puts the trace of the request that submitted a job on the worker's log lines for that
 * job, so Cloud Logging shows the API's and the worker's lines under one trace. It wraps
 * the two ports the run loop is handed, and nothing inside the loop knows: a claim (or a
 * read) of a job that carries a trace id teaches it that job's trace, and every line whose
 * fields name that `jobId` gets the trace field. Without a project id (the embedded
 * backend) there is no trace field to write and both ports are returned as they are.
 */
export function traceJobLines<S extends RunLoopStore>(
  parts: { store: S; logger: Logger },
  projectId: string | null,
): { store: S; logger: Logger } {
  if (projectId === null) {
    return parts;
  }
  const traces = new Map<string, string>();
  const remember = <T extends Job | null>(job: T): T => {
    if (job?.traceId) {
      traces.delete(job.id);
      traces.set(job.id, job.traceId);
      // A worker holds at most a few hundred rows at once; older entries are long settled.
      if (traces.size > rememberedJobs) {
        const oldest = traces.keys().next().value;
        if (oldest !== undefined) {
          traces.delete(oldest);
        }
      }
    }
    return job;
  };
  const store = new Proxy(parts.store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function') {
        return value;
      }
      // Bound to the adapter itself: its methods use private fields.
      const method = value.bind(target) as (...args: unknown[]) => unknown;
      if (name === 'claimJob' || name === 'getJob') {
        return async (...args: unknown[]) => remember((await method(...args)) as Job | null);
      }
      return method;
    },
  });
  const traced =
    (log: LogMethod): LogMethod =>
    (fields, message) => {
      const jobId = fields.jobId;
      const traceId = typeof jobId === 'string' ? traces.get(jobId) : undefined;
      log(traceId ? { ...fields, ...traceFields(projectId, traceId) } : fields, message);
    };
  const { logger } = parts;
  return {
    store,
    logger: {
      debug: traced(logger.debug.bind(logger)),
      info: traced(logger.info.bind(logger)),
      warn: traced(logger.warn.bind(logger)),
      error: traced(logger.error.bind(logger)),
    },
  };
}

const rememberedJobs = 4096;
