import type { ResolvedRunLoopConfig } from './run-loop-config.ts';
import type {
  Logger,
  RunLoopEngine,
  RunLoopMetrics,
  RunLoopQueue,
  RunLoopStore,
  RunLoopStream,
} from './run-loop-ports.ts';

/** Everything the loop's steps share: injected ports, the clock and this worker's id. */
export interface RunLoopContext {
  readonly queue: RunLoopQueue;
  readonly store: RunLoopStore;
  readonly engine: RunLoopEngine;
  readonly logger: Logger;
  readonly metrics: RunLoopMetrics;
  readonly config: ResolvedRunLoopConfig;
  /** Where rows publish their text while they generate; none: no live output. */
  readonly stream: RunLoopStream | undefined;
  /** Written into the store as the lease owner; unique per process. */
  readonly workerId: string;
  /** Epoch milliseconds. */
  readonly now: () => number;
}
