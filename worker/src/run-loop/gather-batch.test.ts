import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import { gatherBatch } from './gather-batch.ts';
import type { RunLoopQueue } from './run-loop-ports.ts';

/**
 * A queue fed one message every `everyMs` (`count` in all) on a virtual clock: a pull that
 * waits advances the clock to the next arrival or by its whole wait. The window logic is
 * about time, and real timers on a loaded machine fire late, so the clock is simulated.
 */
function tricklingQueue(everyMs: number, count: number) {
  const clock = { ms: 0 };
  const arrivals = Array.from({ length: count }, (_, i) => (i + 1) * everyMs);
  const pull = async (max: number, _leaseMs: number, waitMs: number) => {
    const next = arrivals[0];
    if (next === undefined || next > clock.ms + waitMs) {
      clock.ms += waitMs;
      return [];
    }
    clock.ms = Math.max(clock.ms, next);
    const ready = arrivals.filter((at) => at <= clock.ms).slice(0, max);
    arrivals.splice(0, ready.length);
    return ready.map(
      (at): QueueMessage => ({ ackId: `a${at}`, jobId: `j${at}`, deliveryAttempt: 1 }),
    );
  };
  return { queue: { pull } as unknown as RunLoopQueue, clock };
}

function gather(everyMs: number, count: number, windowMs: number, capMs: number) {
  const { queue, clock } = tricklingQueue(everyMs, count);
  const startedMs = clock.ms;
  return gatherBatch(queue, {
    max: 32,
    leaseMs: 60_000,
    firstWaitMs: 1_000,
    windowMs,
    capMs,
    now: () => clock.ms,
    shouldStop: () => false,
    onLatePullError: () => {},
  }).then((batch) => ({ batch, tookMs: clock.ms - startedMs }));
}

test('arrivals closer together than the window keep the batch open past one window', async () => {
  // 8 messages 30 ms apart span 210 ms: a fixed 60 ms window would close after 2-3.
  const { batch } = await gather(30, 8, 60, 1_000);
  assert.equal(batch.length, 8);
});

test('a gap longer than the window closes the batch', async () => {
  const { batch, tookMs } = await gather(120, 4, 40, 1_000);
  assert.equal(batch.length, 1);
  // The first arrival at 120 ms, then one empty 40 ms window.
  assert.equal(tookMs, 160);
});

test('a steady stream is cut at the cap', async () => {
  // Arrivals every 20 ms from 20 ms; the cap runs 150 ms from the first: 20..170 ms.
  const { batch, tookMs } = await gather(20, 100, 60, 150);
  assert.equal(batch.length, 8);
  assert.equal(tookMs, 170);
});

test('a full batch returns without waiting for the window', async () => {
  const { batch, tookMs } = await gather(1, 40, 60, 1_000);
  assert.equal(batch.length, 32);
  assert.equal(tookMs, 32);
});
