import type { ScaleMode } from '@warmgen/shared/config/scale-config.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import {
  type WorkerHeartbeat,
  type WorkerHeartbeats,
  type WorkerState,
  workerStates,
} from '@warmgen/shared/ports/worker-heartbeats.ts';
import { isoTime } from '@warmgen/shared/views/iso-time.ts';
import type { LauncherState } from '../launcher/launcher.ts';
import { estimateNewJob } from './capacity-estimate.ts';
import type { CapacityView } from './capacity-view.ts';

/** Where capacity is read from; one per API process (buildApi's `capacity`). */
export interface CapacitySources {
  heartbeats: Pick<WorkerHeartbeats, 'listLive'>;
  /** SCALE_MODE and the launcher's state (null: no launcher in this process). */
  scaling: () => { mode: ScaleMode; launcher: LauncherState | null };
}

/**
 * The capacity view now: live heartbeats, the store's counts and oldest queued job, the
 * launcher's state, and the estimate for a new job. Read when asked (the route, a metrics
 * scrape): three small store reads, nothing cached, so it is never stale.
 */
export async function readCapacity(
  sources: CapacitySources,
  store: Pick<JobStore, 'countJobs' | 'oldestQueuedAtMs'>,
  nowMs: number,
): Promise<CapacityView> {
  const [workers, counts, oldestMs] = await Promise.all([
    sources.heartbeats.listLive({ nowMs }),
    store.countJobs(),
    store.oldestQueuedAtMs(),
  ]);
  const { mode, launcher } = sources.scaling();
  const byState = Object.fromEntries(workerStates.map((state) => [state, 0])) as Record<
    WorkerState,
    number
  >;
  for (const worker of workers) {
    byState[worker.state] += 1;
  }
  const warm = workers.filter((worker) => worker.state === 'idle' || worker.state === 'busy');
  const problem = launcher?.lastError ?? null;
  return {
    object: 'capacity',
    at: isoTime(nowMs),
    workers: {
      total: workers.length,
      by_state: byState,
      tokens_per_second: round2(warm.reduce((sum, worker) => sum + worker.tokensPerSecond, 0)),
      items: workers.map(toWorkerView),
    },
    queue: {
      queued: counts.queued,
      running: counts.running,
      oldest_queued_age_seconds:
        oldestMs === null ? null : Math.max(0, Math.round((nowMs - oldestMs) / 100) / 10),
    },
    scaling: {
      mode,
      deciding: launcher?.deciding ?? false,
      running_tasks: launcher?.observed?.runningTasks ?? null,
      instances: launcher?.observed?.instances ?? null,
      observed_at: launcher?.observed ? isoTime(launcher.observed.atMs) : null,
      launches: launcher?.launches ?? 0,
      last_launch: launcher?.lastLaunch
        ? {
            execution: launcher.lastLaunch.execution,
            tasks: launcher.lastLaunch.tasks,
            at: isoTime(launcher.lastLaunch.atMs),
          }
        : null,
      problem:
        problem === null
          ? null
          : {
              message: problem.message,
              since: isoTime(problem.atMs),
              failures: problem.failures,
              retry_at: isoTime(problem.retryAtMs),
            },
    },
    estimate: toEstimateView(estimateNewJob(workers, counts.queued, whyNoWorker(mode, launcher))),
  };
}

function whyNoWorker(mode: ScaleMode, launcher: LauncherState | null): string {
  if (mode === 'off' || launcher === null) {
    return 'no worker is running and SCALE_MODE=off: a job waits until a worker is started (the scheduled execution, or by hand)';
  }
  if (launcher.lastError !== null) {
    return `no worker is running, and scaling is failing (${launcher.lastError.message}); it is retried, and the jobs stay queued`;
  }
  return mode === 'job'
    ? 'no worker is running: the launcher starts a job execution for queued work (a cold start: process start, hydration, model load)'
    : 'no worker is running: the launcher sizes the pool up for queued work (a cold start: instance start, hydration, model load)';
}

function toWorkerView(worker: WorkerHeartbeat): CapacityView['workers']['items'][number] {
  return {
    id: worker.workerId,
    state: worker.state,
    since: isoTime(worker.sinceMs),
    started_at: isoTime(worker.startedAtMs),
    last_beat: isoTime(worker.beatAtMs),
    hydration:
      worker.hydration === null
        ? null
        : { bytes_done: worker.hydration.bytesDone, bytes_total: worker.hydration.bytesTotal },
    running_rows: worker.runningRows,
    max_rows: worker.maxRows,
    model_sha256: worker.modelSha256,
    device: worker.device,
    tokens_per_second: worker.tokensPerSecond,
    jobs_per_second: worker.jobsPerSecond,
    tokens_total: worker.tokensTotal,
    task: worker.task,
  };
}

function toEstimateView(estimate: ReturnType<typeof estimateNewJob>): CapacityView['estimate'] {
  return {
    starts_in_seconds: estimate.startsInSeconds,
    finishes_in_seconds: estimate.finishesInSeconds,
    basis: estimate.basis,
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
