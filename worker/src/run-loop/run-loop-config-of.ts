import type { Config } from '@warmgen/shared/config/load-config.ts';
import type { RunLoopConfig } from './run-loop-config.ts';

/**
 * The run loop's settings from the process configuration (its durations in milliseconds,
 * as loadConfig converted them): the one place both mains (worker, npm start) get them.
 * Drain mode's idle exit applies to the worker main only: `npm start` also serves the API,
 * which must not stop taking jobs because the queue was quiet for a while.
 */
export function runLoopConfigOf(
  config: Config,
  engineMaxBatch: number,
  role: 'worker' | 'standalone',
): RunLoopConfig {
  return {
    maxBatch: engineMaxBatch,
    batchPolicy: config.batchPolicy,
    batchWindowMs: config.batchWindowMs,
    leaseMs: config.durationsMs.leaseMs,
    maxAttempts: config.maxAttempts,
    shutdownGraceMs: config.durationsMs.shutdownGraceMs,
    idleExitMs:
      role === 'worker' && config.workerMode === 'drain'
        ? config.durationsMs.drainIdleMs
        : undefined,
  };
}
