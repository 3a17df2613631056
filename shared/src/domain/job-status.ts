/**
 * A job's lifecycle. The store is the source of truth; every change of status is a
 * conditional write from one of the allowed "from" states, so a redelivered queue message
 * can never complete a job twice.
 *
 *   queued -> running -> succeeded | failed | canceled
 *   queued -> canceled
 *   running -> queued        (a worker released it, or its lease expired and it is re-claimed)
 */
export const JobStatus = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const jobStatuses: readonly JobStatus[] = Object.values(JobStatus);

const allowedTransitions: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['running', 'canceled', 'failed'],
  running: ['succeeded', 'failed', 'canceled', 'queued', 'running'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return allowedTransitions[from].includes(to);
}

export function isTerminal(status: JobStatus): boolean {
  return allowedTransitions[status].length === 0;
}
