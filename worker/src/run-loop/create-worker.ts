import type { Registry } from 'prom-client';
import { createWorkerMetrics } from '../metrics/worker-metrics.ts';
import { createRunLoop, type RunLoop, type RunLoopDeps } from './run-loop.ts';

export interface WorkerDeps extends Omit<RunLoopDeps, 'metrics'> {
  /** The worker's series are registered here; pass the API's Registry in a combined process. */
  registry: Registry;
}

/** The one entry point a main file wires: metrics on the registry, then the run loop. */
export function createWorker(deps: WorkerDeps): RunLoop {
  return createRunLoop({ ...deps, metrics: createWorkerMetrics(deps.registry) });
}
