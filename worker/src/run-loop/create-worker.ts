import type { Registry } from 'prom-client';
import { createWorkerMetrics } from '../metrics/worker-metrics.ts';
import { createRunLoop, type RunLoopState } from './run-loop.ts';
import type { RunLoopConfig } from './run-loop-config.ts';
import type { Logger, RunLoopEngine, RunLoopQueue, RunLoopStore } from './run-loop-ports.ts';

export interface WorkerDeps {
  queue: RunLoopQueue;
  store: RunLoopStore;
  engine: RunLoopEngine;
  logger: Logger;
  /** The worker's series are registered here; pass the API's Registry in a combined process. */
  registry: Registry;
  config: RunLoopConfig;
  /** Lease owner written to the store; unique per process (e.g. hostname + pid + random). */
  workerId: string;
  now?: (() => number) | undefined;
}

export interface Worker {
  start(): void;
  stop(): Promise<void>;
  readonly done: Promise<void>;
  readonly state: RunLoopState;
}

/** The one entry point a main file wires: metrics on the registry, then the run loop. */
export function createWorker(deps: WorkerDeps): Worker {
  return createRunLoop({ ...deps, metrics: createWorkerMetrics(deps.registry) });
}
