import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Job } from '@warmgen/shared/domain/job.ts';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import { comeBackMs, dropOrLeaveMessage } from './drop-or-leave-message.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/** The context parts dropOrLeaveMessage reads, with the message-lease changes recorded. */
function contextFor(job: Partial<Job>, nowMs: number) {
  const extended: number[] = [];
  const quiet = () => undefined;
  const ctx = {
    now: () => nowMs,
    config: { leaseMs: 10_000 },
    store: { getJob: async () => ({ id: 'job_x', ...job }) },
    queue: {
      extendLease: async (_message: QueueMessage, ms: number) => {
        extended.push(ms);
      },
    },
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
    metrics: { messageDropped: quiet },
  } as unknown as RunLoopContext;
  return { ctx, extended };
}

const message = { jobId: 'job_x', deliveryAttempt: 2 } as QueueMessage;

test('a holder’s lease about to run out: the message comes back just after it', async () => {
  const { ctx, extended } = contextFor(
    { status: 'running', leaseOwner: 'worker-z', leaseExpiresAtMs: 1_300 },
    1_000,
  );
  assert.equal(await dropOrLeaveMessage(ctx, message), 'left');
  assert.deepEqual(extended, [300 + comeBackMs]);
});

test('a lease that ran out after the refused claim: back after comeBackMs, not a whole lease', async () => {
  const { ctx, extended } = contextFor(
    { status: 'running', leaseOwner: 'worker-z', leaseExpiresAtMs: 954 },
    1_000,
  );
  assert.equal(await dropOrLeaveMessage(ctx, message), 'left');
  assert.deepEqual(extended, [comeBackMs]);
});

test('a lease with most of its time left: the message waits out its own lease', async () => {
  const { ctx, extended } = contextFor(
    { status: 'running', leaseOwner: 'worker-z', leaseExpiresAtMs: 1_000 + 9_500 },
    1_000,
  );
  assert.equal(await dropOrLeaveMessage(ctx, message), 'left');
  assert.deepEqual(extended, []);
});
