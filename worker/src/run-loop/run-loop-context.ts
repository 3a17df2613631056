import type { ResolvedRunLoopConfig } from './run-loop-config.ts';
import type {
  Logger,
  RunLoopEngine,
  RunLoopMetrics,
  RunLoopQueue,
  RunLoopStore,
} from './run-loop-ports.ts';

/** Everything the loop's steps share: injected ports, the clock and this worker's id. */
export interface RunLoopContext {
  readonly queue: RunLoopQueue;
  readonly store: RunLoopStore;
  readonly engine: RunLoopEngine;
  readonly logger: Logger;
  readonly metrics: RunLoopMetrics;
  readonly config: ResolvedRunLoopConfig;
  /** Written into the store as the lease owner; unique per process. */
  readonly workerId: string;
  /** Epoch milliseconds. */
  readonly now: () => number;
}
