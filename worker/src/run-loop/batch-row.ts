import type { Job } from '@warmgen/shared/domain/job.ts';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';

/**
 * Why the loop aborted a row, which decides what becomes of its job:
 *   cancel     the user asked: mark it canceled, ack
 *   shutdown   the grace period ran out: release it for another worker, nack
 *   lease_lost someone else holds the job now: touch nothing but our own message
 */
export const AbortReason = {
  cancel: 'cancel',
  shutdown: 'shutdown',
  leaseLost: 'lease_lost',
} as const;
export type AbortReason = (typeof AbortReason)[keyof typeof AbortReason];

/** One claimed job in a batch: its message, its abort switch and whether it is settled. */
export interface BatchRow {
  readonly job: Job;
  readonly message: QueueMessage;
  /** When this worker claimed it (epoch ms): the end of its queue wait. */
  readonly claimedAtMs: number;
  readonly controller: AbortController;
  abortReason: AbortReason | null;
  /**
   * Set by whichever step writes the job's fate first (the batch, or stop() forcing a
   * release), so a row is settled once even when both race.
   */
  settled: boolean;
  /**
   * Resolves when the engine has handed back this row's output (its onDone), or when the
   * generate() call holding it ended without doing so. Never rejects.
   */
  readonly generated: PromiseWithResolvers<void>;
}

export function createBatchRow(job: Job, message: QueueMessage, claimedAtMs: number): BatchRow {
  return {
    job,
    message,
    claimedAtMs,
    controller: new AbortController(),
    abortReason: null,
    settled: false,
    generated: Promise.withResolvers<void>(),
  };
}

/** Aborts the row unless it was already aborted (the first reason wins) or settled. */
export function abortRow(row: BatchRow, reason: AbortReason): void {
  if (row.settled || row.abortReason !== null) {
    return;
  }
  row.abortReason = reason;
  row.controller.abort(reason);
}
