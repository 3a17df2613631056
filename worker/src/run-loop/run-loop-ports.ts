import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { StreamChannel } from '@warmgen/shared/ports/stream-channel.ts';
import type { GenerationEngine } from '../engine/generation-engine.ts';

/**
 * The narrow slices of the ports the run loop uses (bullmq's "minimal interface that
 * LockManager needs"): tests hand in plain objects, main files hand in the real adapters.
 */
export type RunLoopQueue = Pick<
  JobQueue,
  'pull' | 'ack' | 'nack' | 'extendLease' | 'pullDeadLetters' | 'ackDeadLetter'
>;

export type RunLoopStore = Pick<
  JobStore,
  'getJob' | 'claimJob' | 'renewLease' | 'releaseJob' | 'completeJob' | 'failJob' | 'markCanceled'
>;

export type RunLoopEngine = Pick<GenerationEngine, 'maxBatchSize' | 'validate' | 'generate'>;

/** Live output: where a running row's text goes, and how often (ms) per row at most. */
export interface RunLoopStream {
  channel: Pick<StreamChannel, 'publish'>;
  intervalMs: number;
}

// The one logger shape, from shared/ (re-exported: the loop's ports are all named here).
export type { Logger, LogMethod } from '@warmgen/shared/logging/logger.ts';

/** How a job left this worker's hands. */
export type JobOutcome = 'succeeded' | 'failed' | 'canceled' | 'released' | 'dead_lettered';

/** Why a message was acked without doing any work. */
export type DropReason = 'terminal' | 'missing';

/** What the loop reports; worker/src/metrics turns it into Prometheus series. */
export interface RunLoopMetrics {
  jobSettled(outcome: JobOutcome): void;
  messageDropped(reason: DropReason): void;
  jobClaimed(queueMs: number): void;
  /** A job's generation ended, after generateMs, with runningRows rows in the batch. */
  rowGenerated(generateMs: number, runningRows: number): void;
  jobCompleted(completionTokens: number, tokensPerSecond: number): void;
  inFlight(rows: number): void;
}

export const noopMetrics: RunLoopMetrics = {
  jobSettled() {},
  messageDropped() {},
  jobClaimed() {},
  rowGenerated() {},
  jobCompleted() {},
  inFlight() {},
};
