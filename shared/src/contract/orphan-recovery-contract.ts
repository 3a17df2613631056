import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { newBatchId } from '../domain/ids.ts';
import type { NewJob } from '../domain/job.ts';
import { republishOrphans } from '../outbox/republish-orphans.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { JobStore } from '../ports/job-store.ts';
import { batchFixture, newJobFixture, resultFixture } from './job-fixtures.ts';

export interface OrphanRecoveryHarness {
  /** An empty store and queue, used by one test, on real time. */
  store: JobStore;
  queue: JobQueue;
  cleanup(): Promise<void>;
}

const leaseMs = 60_000;

/**
 * No job is lost when a publish fails: the API's submit path (write, publish, mark) with a
 * publish that throws once, then the orphan sweeper, then a worker that claims, completes
 * and acks. Each job must complete exactly once, also when its message arrives twice.
 */
export function describeOrphanRecoveryContract(
  name: string,
  makeBackend: () => Promise<OrphanRecoveryHarness>,
): void {
  describe(`orphan recovery: ${name}`, () => {
    let harness: OrphanRecoveryHarness | undefined;
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    /** What the API does for a submission; a failed publish is logged, not answered. */
    async function submit(
      store: JobStore,
      queue: Pick<JobQueue, 'publish'>,
      jobs: NewJob[],
    ): Promise<boolean> {
      const ids = jobs.map((job) => job.id);
      try {
        await queue.publish(ids);
        await store.markPublished({ ids, nowMs: Date.now() });
        return true;
      } catch {
        return false;
      }
    }

    function publishFailsOnce(queue: JobQueue): Pick<JobQueue, 'publish'> {
      let failed = false;
      return {
        publish: async (ids) => {
          if (!failed) {
            failed = true;
            throw new Error('injected publish failure');
          }
          await queue.publish(ids);
        },
      };
    }

    /** A minimal worker: pulls until the queue stays quiet, runs what it can claim. */
    async function work(store: JobStore, queue: JobQueue) {
      const completions = new Map<string, number>();
      let deliveries = 0;
      for (;;) {
        const messages = await queue.pull(10, leaseMs, 1_500);
        if (messages.length === 0) {
          return { completions, deliveries };
        }
        for (const message of messages) {
          deliveries += 1;
          const claimed = await store.claimJob({
            id: message.jobId,
            workerId: 'worker',
            leaseMs,
            nowMs: Date.now(),
          });
          if (claimed !== null) {
            assert.ok(
              await store.completeJob({
                id: claimed.id,
                workerId: 'worker',
                result: resultFixture,
                nowMs: Date.now(),
              }),
            );
            completions.set(claimed.id, (completions.get(claimed.id) ?? 0) + 1);
          }
          await queue.ack(message);
        }
      }
    }

    const sweep = (store: JobStore, queue: JobQueue, olderThanMs = 0) =>
      republishOrphans({ store, queue, now: Date.now, olderThanMs });

    it('a job whose publish failed is published by the sweeper and completes once', async () => {
      harness = await makeBackend();
      const { store, queue } = harness;
      const job = newJobFixture({ createdAtMs: Date.now() });
      await store.createJobs([job]);
      assert.equal(await submit(store, publishFailsOnce(queue), [job]), false);
      assert.deepEqual(await queue.pull(10, leaseMs, 500), [], 'no message was published');

      assert.equal(await sweep(store, queue), 1);
      assert.equal(await sweep(store, queue), 0, 'marked published: not swept again');
      const { completions, deliveries } = await work(store, queue);
      assert.deepEqual([...completions], [[job.id, 1]]);
      assert.equal(deliveries, 1);
      const done = await store.getJob(job.id);
      assert.equal(done?.status, 'succeeded');
      assert.equal(done?.attempts, 1);
    });

    it('a batch whose publish failed: every job is swept and completes once', async () => {
      harness = await makeBackend();
      const { store, queue } = harness;
      const batchId = newBatchId();
      const jobs = ['a', 'b', 'c'].map((customId) =>
        newJobFixture({ batchId, customId, createdAtMs: Date.now() }),
      );
      await store.createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
      assert.equal(await submit(store, publishFailsOnce(queue), jobs), false);

      assert.equal(await sweep(store, queue), 3);
      const { completions } = await work(store, queue);
      assert.deepEqual([...completions].sort(), jobs.map((job) => [job.id, 1]).sort());
      assert.equal((await store.countBatchJobs(batchId)).succeeded, 3);
    });

    it('a job published but never marked is published again and still completes once', async () => {
      harness = await makeBackend();
      const { store, queue } = harness;
      const job = newJobFixture({ createdAtMs: Date.now() });
      await store.createJobs([job]);
      await queue.publish([job.id]); // ...and the process died before markPublished.

      assert.equal(await sweep(store, queue), 1);
      const { completions, deliveries } = await work(store, queue);
      assert.deepEqual([...completions], [[job.id, 1]]);
      assert.equal(deliveries, 2, 'the duplicate message was delivered and dropped');
      assert.equal((await store.getJob(job.id))?.attempts, 1);
    });

    it('leaves young orphans to their request and never publishes canceled ones', async () => {
      harness = await makeBackend();
      const { store, queue } = harness;
      const young = newJobFixture({ createdAtMs: Date.now() });
      const canceled = newJobFixture({ createdAtMs: Date.now() - 120_000 });
      await store.createJobs([young, canceled]);
      await store.requestCancel({ id: canceled.id, nowMs: Date.now() });

      assert.equal(await sweep(store, queue, 60_000), 0);
      assert.deepEqual(await queue.pull(10, leaseMs, 500), []);
      assert.deepEqual(await store.listUnpublished({ createdBeforeMs: Date.now(), limit: 10 }), [
        young.id,
      ]);
    });
  });
}
