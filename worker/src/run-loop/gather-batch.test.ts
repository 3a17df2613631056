import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import { gatherBatch } from './gather-batch.ts';
import type { RunLoopQueue } from './run-loop-ports.ts';

/** A queue fed on a timer: one message every `everyMs`, `count` in all. */
function tricklingQueue(everyMs: number, count: number): RunLoopQueue {
  const ready: QueueMessage[] = [];
  let published = 0;
  const timer = setInterval(() => {
    ready.push({ ackId: `a${published}`, jobId: `j${published}`, deliveryAttempt: 1 });
    published += 1;
    if (published === count) {
      clearInterval(timer);
    }
  }, everyMs);
  const pull = async (max: number, _leaseMs: number, waitMs: number) => {
    const until = Date.now() + waitMs;
    while (ready.length === 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return ready.splice(0, max);
  };
  return { pull } as unknown as RunLoopQueue;
}

const options = (windowMs: number, capMs: number) => ({
  max: 32,
  leaseMs: 60_000,
  firstWaitMs: 1_000,
  windowMs,
  capMs,
  now: Date.now,
  shouldStop: () => false,
  onLatePullError: () => {},
});

test('arrivals closer together than the window keep the batch open past one window', async () => {
  // 8 messages 30 ms apart span ~210 ms: a fixed 60 ms window would close after 2-3.
  const batch = await gatherBatch(tricklingQueue(30, 8), options(60, 1_000));
  assert.equal(batch.length, 8);
});

test('a gap longer than the window closes the batch', async () => {
  const batch = await gatherBatch(tricklingQueue(120, 4), options(40, 1_000));
  assert.equal(batch.length, 1);
});

test('a steady stream is cut at the cap', async () => {
  const started = Date.now();
  const batch = await gatherBatch(tricklingQueue(20, 100), options(60, 150));
  const tookMs = Date.now() - started;
  assert.ok(batch.length >= 3 && batch.length < 20, `gathered ${batch.length}`);
  assert.ok(tookMs < 20 + 150 + 100, `took ${tookMs} ms`);
});
