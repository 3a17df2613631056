import type { Config } from '@warmgen/shared/config/load-config.ts';
import type { RunLoopConfig } from './run-loop-config.ts';

/**
 * The run loop's settings from the process configuration, seconds turned into the
 * milliseconds the loop counts in: the one place both mains (worker, npm start) get them.
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
    leaseMs: config.leaseSeconds * 1000,
    maxAttempts: config.maxAttempts,
    shutdownGraceMs: config.shutdownGraceSeconds * 1000,
    idleExitMs:
      role === 'worker' && config.workerMode === 'drain'
        ? config.drainIdleSeconds * 1000
        : undefined,
  };
}
