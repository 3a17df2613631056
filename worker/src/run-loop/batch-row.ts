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

/** One claimed job in the running batch: its message, its abort switch and whether it is settled. */
export interface BatchRow {
  readonly job: Job;
  readonly message: QueueMessage;
  /** When this worker claimed it (epoch ms): the end of its queue wait. */
  readonly claimedAtMs: number;
  readonly controller: AbortController;
  abortReason: AbortReason | null;
  /** Resolves when the row is aborted (abortRow). Never rejects. */
  readonly aborted: Promise<void>;
  /** Set when run-row.ts's settle() has decided the job's fate: watchers leave it alone. */
  settled: boolean;
  /**
   * Until when (epoch ms) this worker holds the job's store lease, as far as it knows: the
   * claim's lease, moved on by each renewal the store accepts, 0 once the store refused one
   * (someone else holds the job). While settle() retries a failed write, the lease keeper
   * still renews it, and the retries stop when it runs out.
   */
  leaseHeldUntilMs: number;
  /** Set once the fate is written (or given up on): nothing is left to renew. */
  written: boolean;
}

export function createBatchRow(
  job: Job,
  message: QueueMessage,
  claimedAtMs: number,
  leaseMs: number,
): BatchRow {
  const controller = new AbortController();
  const aborted = new Promise<void>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  return {
    job,
    message,
    claimedAtMs,
    controller,
    abortReason: null,
    aborted,
    settled: false,
    leaseHeldUntilMs: claimedAtMs + leaseMs,
    written: false,
  };
}

/**
 * Asks the row to stop (the engine drops it at its next decode step), unless it was already
 * aborted (the first reason wins) or settled. The watchers' only way to act on a row: what
 * becomes of the job is decided by run-row.ts's settle().
 */
export function abortRow(row: BatchRow, reason: AbortReason): void {
  if (row.settled || row.abortReason !== null) {
    return;
  }
  row.abortReason = reason;
  row.controller.abort(reason);
}
