import type { WorkerHeartbeat } from '@warmgen/shared/ports/worker-heartbeats.ts';

/**
 * When a job submitted now would start and finish: the one place that estimates it, from
 * the live heartbeats and the backlog. Pure. A new job goes behind every queued one:
 *
 * - A warm worker with a free row slot, and fewer jobs queued than free slots: it starts
 *   now (the next pull).
 * - Otherwise the jobs ahead of it drain at the warm workers' observed throughput (jobs
 *   finished per second over their recent window): starts in (queued - free + 1) / rate.
 * - Warm workers that have finished nothing lately give no rate: no estimate.
 * - No warm worker: no estimate; `basis` says why (starting up, or none running, and
 *   what the scaler is doing about it, which the caller words).
 *
 * It finishes one mean job time (the workers' recent mean, weighted by their jobs/s)
 * after it starts. The rates are what workers did, not what they could do: a worker that
 * idled part of its window lowers them, so the estimate errs late, never early.
 */
export interface CapacityEstimate {
  startsInSeconds: number | null;
  finishesInSeconds: number | null;
  basis: string;
}

export function estimateNewJob(
  workers: readonly WorkerHeartbeat[],
  queued: number,
  whyNoWorker: string,
): CapacityEstimate {
  const warm = workers.filter((worker) => worker.state === 'idle' || worker.state === 'busy');
  if (warm.length === 0) {
    const starting = workers.filter((worker) => worker.state !== 'idle' && worker.state !== 'busy');
    return {
      startsInSeconds: null,
      finishesInSeconds: null,
      basis:
        starting.length > 0
          ? `no warm worker yet: ${starting.length} starting (${starting.map((worker) => worker.state).join(', ')}); the job starts once one is warm`
          : whyNoWorker,
    };
  }
  const freeSlots = warm.reduce(
    (sum, worker) => sum + Math.max(0, worker.maxRows - worker.runningRows),
    0,
  );
  const jobsPerSecond = warm.reduce((sum, worker) => sum + worker.jobsPerSecond, 0);
  const meanJobSeconds = weightedMeanJobSeconds(warm);
  if (queued < freeSlots) {
    return {
      startsInSeconds: 0,
      finishesInSeconds: meanJobSeconds,
      basis: `${freeSlots} free row slots on ${warm.length} warm workers, ${queued} jobs queued`,
    };
  }
  if (jobsPerSecond <= 0) {
    return {
      startsInSeconds: null,
      finishesInSeconds: null,
      basis: `${queued} jobs queued and every slot is busy; no job finished lately, so there is no rate to estimate from`,
    };
  }
  const startsInSeconds = round1((queued - freeSlots + 1) / jobsPerSecond);
  return {
    startsInSeconds,
    finishesInSeconds: meanJobSeconds === null ? null : round1(startsInSeconds + meanJobSeconds),
    basis: `${queued} jobs queued ahead, ${warm.length} warm workers finishing ${round1(jobsPerSecond)} jobs/s`,
  };
}

function weightedMeanJobSeconds(warm: readonly WorkerHeartbeat[]): number | null {
  let weight = 0;
  let sum = 0;
  for (const worker of warm) {
    if (worker.meanJobSeconds !== null) {
      const w = Math.max(worker.jobsPerSecond, 1e-6);
      weight += w;
      sum += w * worker.meanJobSeconds;
    }
  }
  return weight === 0 ? null : round1(sum / weight);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
