import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newJobId } from '../domain/ids.ts';
import type { JobQueue, QueueMessage } from '../ports/job-queue.ts';
import { eventually } from './job-fixtures.ts';

export interface JobQueueHarnessOptions {
  /** Deliveries before dead-lettering. The suite uses 5, Pub/Sub's minimum. */
  maxAttempts: number;
  /** How long pullDeadLetters leases a dead letter (1 s, so the suite can wait it out). */
  deadLetterLeaseMs: number;
}

export interface JobQueueHarness {
  /** An empty queue (and dead-letter queue), used by one test. */
  queue: JobQueue;
  /** Closes the queue and removes what the test created. */
  cleanup(): Promise<void>;
  /**
   * Moves the queue's clock forward, for adapters with an injectable clock. Without it the
   * suite uses real 1 s leases and waits them out (an emulator-backed adapter).
   */
  advanceClock?: (ms: number) => void;
  /**
   * The adapter cannot count waiting messages (Pub/Sub has no API for a backlog, and the
   * emulator no monitoring): depth() must then say so with NaN, never a made-up number.
   */
  depthUnknown?: boolean;
}

const maxAttempts = 5;
const deadLetterLeaseMs = 1_000;
const ids = (messages: QueueMessage[]) => messages.map((message) => message.jobId);

/**
 * The behaviour every JobQueue adapter must show. Delivery order is not part of the port
 * (Pub/Sub does not promise it), so the suite compares sets where order could differ.
 */
export function describeJobQueueContract(
  name: string,
  makeQueue: (options: JobQueueHarnessOptions) => Promise<JobQueueHarness>,
): void {
  describe(`JobQueue contract: ${name}`, () => {
    let harness: JobQueueHarness | undefined;
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    /** Time control that works with a fake clock or real time. */
    async function setUp() {
      harness = await makeQueue({ maxAttempts, deadLetterLeaseMs });
      const { queue, advanceClock, depthUnknown } = harness;
      const real = advanceClock === undefined;
      // Tests about expiry pull with leaseMs; the others hold messages with a lease
      // far longer than any wait in the suite.
      const leaseMs = real ? 1_000 : 60_000;
      const holdMs = 120_000;
      return {
        queue,
        leaseMs,
        /** Asserts depth() is `expected`, or NaN where the adapter cannot count. */
        expectDepth: async (expected: number) => {
          const depth = await queue.depth();
          if (depthUnknown === true) {
            assert.ok(Number.isNaN(depth), `depth() should be NaN, got ${depth}`);
          } else {
            assert.equal(depth, expected);
          }
        },
        /** Lets `ms` pass on the queue's clock. */
        elapse: async (ms: number) => (real ? sleep(ms) : advanceClock(ms)),
        /** Pulls, waiting as long as an available message may take to show up. */
        pullSoon: (max: number, lease = holdMs) => queue.pull(max, lease, real ? 5_000 : 0),
        /** Pulls, expecting nothing: long enough that a real backend would have delivered. */
        pullQuiet: (max: number) => queue.pull(max, holdMs, real ? 1_000 : 0),
        /** Pulls until `count` messages came or nothing more arrives. */
        pullAll: async (count: number) => {
          const messages: QueueMessage[] = [];
          while (messages.length < count) {
            const batch = await queue.pull(count - messages.length, holdMs, real ? 5_000 : 0);
            if (batch.length === 0) {
              break;
            }
            messages.push(...batch);
          }
          return messages;
        },
      };
    }

    it('delivers each published job id once, on its first attempt', async () => {
      const { queue, pullAll, pullQuiet } = await setUp();
      const jobIds = [newJobId(), newJobId(), newJobId()];
      await queue.publish(jobIds);
      const messages = await pullAll(3);
      assert.deepEqual(ids(messages).sort(), [...jobIds].sort());
      assert.deepEqual(
        messages.map((message) => message.deliveryAttempt),
        [1, 1, 1],
      );
      assert.equal(new Set(messages.map((message) => message.ackId)).size, 3);
      assert.deepEqual(await pullQuiet(10), [], 'leased messages are not delivered again');
    });

    it('returns at most max messages per pull', async () => {
      const { queue, pullSoon, pullAll } = await setUp();
      const jobIds = Array.from({ length: 5 }, () => newJobId());
      await queue.publish(jobIds);
      const first = await pullSoon(2);
      assert.ok(first.length >= 1 && first.length <= 2, `got ${first.length}`);
      const rest = await pullAll(5 - first.length);
      assert.deepEqual([...ids(first), ...ids(rest)].sort(), [...jobIds].sort());
    });

    it('publishing nothing is a no-op', async () => {
      const { queue, pullQuiet } = await setUp();
      await queue.publish([]);
      assert.deepEqual(await pullQuiet(1), []);
    });

    it('an empty pull waits about waitMs, then returns nothing', async () => {
      const { queue, leaseMs } = await setUp();
      const started = performance.now();
      assert.deepEqual(await queue.pull(1, leaseMs, 300), []);
      const elapsedMs = performance.now() - started;
      assert.ok(elapsedMs >= 250 && elapsedMs < 3_000, `waited ${elapsedMs} ms`);
    });

    it('a waiting pull returns soon after a publish', async () => {
      const { queue, leaseMs } = await setUp();
      const jobId = newJobId();
      const started = performance.now();
      const pulled = queue.pull(1, leaseMs, 10_000);
      await sleep(50);
      await queue.publish([jobId]);
      assert.deepEqual(ids(await pulled), [jobId]);
      const elapsedMs = performance.now() - started;
      assert.ok(elapsedMs < 3_000, `took ${elapsedMs} ms`);
    });

    it('ack removes the message for good', async () => {
      const { queue, leaseMs, pullSoon, pullQuiet, elapse, expectDepth } = await setUp();
      await queue.publish([newJobId()]);
      const [message] = await pullSoon(1, leaseMs);
      assert.ok(message);
      await queue.ack(message);
      await elapse(leaseMs + 100);
      assert.deepEqual(await pullQuiet(1), []);
      await expectDepth(0);
    });

    it('redelivers after the lease expires, counting the attempt', async () => {
      const { queue, leaseMs, pullSoon, elapse } = await setUp();
      const jobId = newJobId();
      await queue.publish([jobId]);
      const [first] = await pullSoon(1, leaseMs);
      assert.equal(first?.deliveryAttempt, 1);
      await elapse(leaseMs + 100);
      const [second] = await pullSoon(1);
      assert.equal(second?.jobId, jobId);
      assert.equal(second?.deliveryAttempt, 2);
      await queue.ack(second);
    });

    it('nack makes the message available again at once, counting the attempt', async () => {
      const { queue, pullSoon } = await setUp();
      const jobId = newJobId();
      await queue.publish([jobId]);
      const [first] = await pullSoon(1);
      assert.ok(first);
      await queue.nack(first);
      const [second] = await pullSoon(1);
      assert.equal(second?.jobId, jobId);
      assert.equal(second?.deliveryAttempt, 2);
    });

    it('extendLease keeps the message from being redelivered', async () => {
      const { queue, leaseMs, pullSoon, pullQuiet, elapse } = await setUp();
      await queue.publish([newJobId()]);
      const [message] = await pullSoon(1, leaseMs);
      assert.ok(message);
      await queue.extendLease(message, leaseMs * 6);
      await elapse(leaseMs * 1.5);
      assert.deepEqual(await pullQuiet(1), []);
      await queue.ack(message);
    });

    it(`dead-letters a message after ${maxAttempts} deliveries (nacks, then an expired lease)`, async () => {
      const { queue, leaseMs, pullSoon, pullQuiet, elapse } = await setUp();
      const doomed = newJobId();
      await queue.publish([doomed]);
      for (let attempt = 1; attempt < maxAttempts; attempt += 1) {
        const [message] = await pullSoon(1);
        assert.equal(message?.deliveryAttempt, attempt);
        await queue.nack(message);
      }
      const [last] = await pullSoon(1, leaseMs);
      assert.equal(last?.deliveryAttempt, maxAttempts);
      await elapse(leaseMs + 100);
      assert.deepEqual(await pullQuiet(1), [], 'an exhausted message is not delivered again');

      const [dead] = await eventually(async () => {
        const letters = await queue.pullDeadLetters(10);
        assert.equal(letters.length, 1);
        return letters;
      }, 10_000);
      assert.equal(dead?.jobId, doomed);
      assert.equal(dead?.deliveryAttempt, maxAttempts);
      await queue.ackDeadLetter(dead);
      await elapse(deadLetterLeaseMs + 100);
      assert.deepEqual(await queue.pullDeadLetters(10), [], 'an acked dead letter is gone');
    });

    it('dead-letters at once on the last nack, leaving other messages alone', async () => {
      const { queue, pullSoon } = await setUp();
      const [doomed, healthy] = [newJobId(), newJobId()];
      await queue.publish([doomed]);
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        const [message] = await pullSoon(1);
        assert.equal(message?.jobId, doomed);
        await queue.nack(message);
      }
      await queue.publish([healthy]);
      assert.deepEqual(ids(await pullSoon(5)), [healthy]);
      const letters = await eventually(async () => {
        const pulled = await queue.pullDeadLetters(10);
        assert.equal(pulled.length, 1);
        return pulled;
      }, 10_000);
      assert.deepEqual(ids(letters), [doomed]);
    });

    it('depth counts waiting messages, not leased or acked ones', async () => {
      const { queue, pullSoon, expectDepth } = await setUp();
      await expectDepth(0);
      await queue.publish([newJobId(), newJobId(), newJobId()]);
      await eventually(() => expectDepth(3));
      const [message] = await pullSoon(1);
      assert.ok(message);
      await eventually(() => expectDepth(2));
      await queue.ack(message);
      await eventually(() => expectDepth(2));
    });

    it('concurrent pullers never receive the same message', async () => {
      const { queue, pullAll } = await setUp();
      const jobIds = Array.from({ length: 20 }, () => newJobId());
      await queue.publish(jobIds);
      const [a, b] = await Promise.all([pullAll(10), pullAll(10)]);
      const more = await pullAll(20 - a.length - b.length);
      const all = [...ids(a), ...ids(b), ...ids(more)];
      assert.equal(new Set(all).size, all.length, 'a message was delivered twice');
      assert.deepEqual(all.sort(), [...jobIds].sort());
    });
  });
}
