import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import type { RunLoopQueue } from './run-loop-ports.ts';

export interface GatherOptions {
  /** Batch capacity. */
  max: number;
  leaseMs: number;
  /** How long to wait for the first message. */
  firstWaitMs: number;
  /** After each arrival, how long to wait for the next one before the batch closes. */
  windowMs: number;
  /** Upper bound on the whole gathering, however steadily messages keep arriving. */
  capMs: number;
  now: () => number;
  /** Checked between pulls: once true, stop gathering and return what arrived. */
  shouldStop: () => boolean;
  /** A pull that fails after the first one arrived: reported, and the batch ends there. */
  onLatePullError: (error: unknown) => void;
}

/**
 * Micro-batching: wait for a first message, then keep pulling while messages keep coming
 * (each arrival extends the window by windowMs, up to capMs in all) or until the batch is
 * full, so jobs published together share one generate() call. A fixed window split a burst
 * of concurrent submissions into a small first batch and a large second one; an idle gap
 * keeps a lone job's wait at windowMs while a burst fills the batch. A failing
 * first pull throws (the caller backs off); a failing later pull only ends the gathering,
 * because the messages already pulled are leased to us and must be worked on.
 */
export async function gatherBatch(
  queue: RunLoopQueue,
  options: GatherOptions,
): Promise<QueueMessage[]> {
  const { max, leaseMs, windowMs, now } = options;
  const batch = await queue.pull(max, leaseMs, options.firstWaitMs);
  if (batch.length === 0) {
    return batch;
  }
  const capEndsAtMs = now() + options.capMs;
  let windowEndsAtMs = Math.min(capEndsAtMs, now() + windowMs);
  while (batch.length < max && !options.shouldStop()) {
    const remainingMs = windowEndsAtMs - now();
    if (remainingMs <= 0) {
      break;
    }
    let more: QueueMessage[];
    try {
      more = await queue.pull(max - batch.length, leaseMs, Math.ceil(remainingMs));
    } catch (error) {
      options.onLatePullError(error);
      break;
    }
    // The port waits up to the remaining window for a message: nothing means it is over.
    if (more.length === 0) {
      break;
    }
    batch.push(...more);
    windowEndsAtMs = Math.min(capEndsAtMs, now() + windowMs);
  }
  return batch;
}
