/**
 * The one place that decides how many workers the backlog calls for. Pure: the launcher
 * feeds it counts and acts on the answer.
 *
 * Work is the queued jobs plus the running ones (a running job still occupies a worker);
 * one worker is wanted per `jobsPerWorker` of it, rounded up, never above `maxWorkers`.
 */
export interface Backlog {
  queued: number;
  running: number;
}

export function workersWanted(backlog: Backlog, jobsPerWorker: number, maxWorkers: number): number {
  const work = backlog.queued + backlog.running;
  return Math.min(maxWorkers, Math.ceil(work / jobsPerWorker));
}

/**
 * Job mode: how many tasks a new execution should have (0: launch nothing). Only queued
 * work starts anything; tasks already running count against the want and the cap.
 */
export function tasksToLaunch(
  backlog: Backlog,
  runningTasks: number,
  limits: { jobsPerWorker: number; maxWorkers: number },
): number {
  if (backlog.queued === 0) {
    return 0;
  }
  const wanted = Math.max(1, workersWanted(backlog, limits.jobsPerWorker, limits.maxWorkers));
  return Math.max(0, Math.min(wanted, limits.maxWorkers) - runningTasks);
}

/**
 * Pool mode: the instance count to set, or null to leave it. Up at once to what the
 * backlog wants; down only once the want has stayed below the current count for
 * `idleMs` (`lowSinceMs`: when it first dropped below, tracked by the caller), so a pause
 * between two bursts does not cost a cold start.
 */
export function poolSize(
  backlog: Backlog,
  current: number,
  limits: { jobsPerWorker: number; minWorkers: number; maxWorkers: number; idleMs: number },
  lowSinceMs: number | null,
  nowMs: number,
): number | null {
  const wanted = Math.max(
    limits.minWorkers,
    workersWanted(backlog, limits.jobsPerWorker, limits.maxWorkers),
  );
  if (wanted > current) {
    return wanted;
  }
  if (wanted < current && lowSinceMs !== null && nowMs - lowSinceMs >= limits.idleMs) {
    return wanted;
  }
  return null;
}
