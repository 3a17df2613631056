import type { Registry } from 'prom-client';
import { createWorkerMetrics } from '../metrics/worker-metrics.ts';
import { createRunLoop, type RunLoop, type RunLoopDeps } from './run-loop.ts';
import type { RunLoopMetrics } from './run-loop-ports.ts';

export interface WorkerDeps extends Omit<RunLoopDeps, 'metrics'> {
  /** The worker's series are registered here; pass the API's Registry in a combined process. */
  registry: Registry;
  /**
   * Also told every metrics event (read-only: the worker's heartbeat follows running rows
   * and tokens through it). It must only update memory; it runs on the loop's thread.
   */
  observer?: Partial<RunLoopMetrics> | undefined;
}

/** The one entry point a main file wires: metrics on the registry, then the run loop. */
export function createWorker(deps: WorkerDeps): RunLoop {
  const metrics = createWorkerMetrics(deps.registry);
  return createRunLoop({
    ...deps,
    metrics: deps.observer === undefined ? metrics : alsoTell(metrics, deps.observer),
  });
}

function alsoTell(metrics: RunLoopMetrics, observer: Partial<RunLoopMetrics>): RunLoopMetrics {
  const both = {} as Record<keyof RunLoopMetrics, (...args: never[]) => void>;
  for (const name of Object.keys(metrics) as (keyof RunLoopMetrics)[]) {
    const first = metrics[name] as (...args: unknown[]) => void;
    const second = observer[name] as ((...args: unknown[]) => void) | undefined;
    both[name] = (...args: unknown[]) => {
      first(...args);
      second?.(...args);
    };
  }
  return both as RunLoopMetrics;
}
