import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { newBatchId } from '../domain/ids.ts';
import type { JobResult, StatusCounts } from '../domain/job.ts';
import type { JobStore } from '../ports/job-store.ts';
import { batchFixture, newJobFixture, resultFixture, t0Ms } from './job-fixtures.ts';
import { describePublishMarkContract } from './job-store-publish-contract.ts';
import { describeRetryContract } from './job-store-retry-contract.ts';
import { describeTransitionContract } from './job-store-transition-contract.ts';

export interface JobStoreHarness {
  /** An empty store, used by one test. */
  store: JobStore;
  /** Closes the store and removes what the test wrote. */
  cleanup(): Promise<void>;
}

const zeroCounts: StatusCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
const leaseMs = 30_000;

/**
 * The behaviour every JobStore adapter must show, written against the port only. Each test
 * gets a fresh store from makeStore. Times are passed as parameters, as the port does.
 */
export function describeJobStoreContract(
  name: string,
  makeStore: () => Promise<JobStoreHarness>,
): void {
  describe(`JobStore contract: ${name}`, () => {
    let harness: JobStoreHarness;
    const store = () => harness.store;
    beforeEach(async () => {
      harness = await makeStore();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    describe('transitions', () => describeTransitionContract(store));
    describe('publish marks (outbox)', () => describePublishMarkContract(store));
    describe('batch retry', () => describeRetryContract(store));

    describe('create and read', () => {
      it('stores a new job as queued and reads every field back', async () => {
        const input = newJobFixture({
          webhook: { url: 'https://example.test/cb', events: ['job.succeeded'] },
          idempotencyKey: 'key-round-trip',
          owner: 'key_0123456789abcdef',
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          inputIndex: null,
        });
        const [created] = await store().createJobs([input]);
        assert.deepEqual(created, {
          ...input,
          status: 'queued',
          attempts: 0,
          leaseOwner: null,
          leaseExpiresAtMs: null,
          cancelRequested: false,
          startedAtMs: null,
          finishedAtMs: null,
          result: null,
          error: null,
          retries: 0,
          retriedAtMs: null,
        });
        assert.deepEqual(await store().getJob(input.id), created);
      });

      it('returns null for a job or batch that does not exist', async () => {
        assert.equal(await store().getJob('job_missing'), null);
        assert.equal(await store().getBatch('batch_missing'), null);
        assert.equal(
          await store().claimJob({ id: 'job_missing', workerId: 'w', leaseMs, nowMs: t0Ms }),
          null,
        );
        assert.equal(await store().requestCancel({ id: 'job_missing', nowMs: t0Ms }), null);
      });

      it('creates all jobs of a call or none', async () => {
        const [existing] = await store().createJobs([newJobFixture()]);
        assert.ok(existing);
        const fresh = newJobFixture();
        const clash = newJobFixture({ id: existing.id, prompt: 'different' });
        await assert.rejects(store().createJobs([fresh, clash]));
        assert.equal(await store().getJob(fresh.id), null);
        assert.equal((await store().getJob(existing.id))?.prompt, existing.prompt);
      });

      it('dedupes by idempotency key, returning the existing job as it is now', async () => {
        const first = newJobFixture({ idempotencyKey: 'key-1' });
        await store().createJobs([first]);
        await store().claimJob({ id: first.id, workerId: 'w', leaseMs, nowMs: t0Ms });
        await store().completeJob({
          id: first.id,
          workerId: 'w',
          result: resultFixture,
          nowMs: t0Ms,
        });

        const retry = newJobFixture({ idempotencyKey: 'key-1', prompt: 'retry' });
        const other = newJobFixture({ idempotencyKey: 'key-2' });
        const [deduped, created] = await store().createJobs([retry, other]);
        assert.equal(deduped?.id, first.id);
        assert.equal(deduped?.status, 'succeeded');
        assert.equal(deduped?.prompt, first.prompt);
        assert.equal(created?.id, other.id);
        assert.equal(await store().getJob(retry.id), null);
      });

      it('dedupes a repeated key within one call', async () => {
        const a = newJobFixture({ idempotencyKey: 'key-twice' });
        const b = newJobFixture({ idempotencyKey: 'key-twice' });
        const jobs = await store().createJobs([a, b]);
        assert.deepEqual(
          jobs.map((job) => job.id),
          [a.id, a.id],
        );
        assert.equal(await store().getJob(b.id), null);
      });
    });

    describe('leases', () => {
      it('claim records the worker, lease, attempt and start time', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        const claimed = await store().claimJob({
          id: job!.id,
          workerId: 'w1',
          leaseMs,
          nowMs: t0Ms + 5,
        });
        assert.equal(claimed?.status, 'running');
        assert.equal(claimed?.leaseOwner, 'w1');
        assert.equal(claimed?.leaseExpiresAtMs, t0Ms + 5 + leaseMs);
        assert.equal(claimed?.attempts, 1);
        assert.equal(claimed?.startedAtMs, t0Ms + 5);
        assert.deepEqual(await store().getJob(job!.id), claimed);
      });

      it('two concurrent claimers: exactly one wins', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        const outcomes = await Promise.all(
          ['w1', 'w2'].map((worker) =>
            store().claimJob({ id: job!.id, workerId: worker, leaseMs, nowMs: t0Ms }),
          ),
        );
        const winners = outcomes.filter((claimed) => claimed !== null);
        assert.equal(winners.length, 1);
        assert.equal((await store().getJob(job!.id))?.leaseOwner, winners[0]?.leaseOwner);
      });

      it('an expired lease can be re-claimed; the first holder can no longer finish', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        assert.equal(
          await store().claimJob({
            id: job!.id,
            workerId: 'w2',
            leaseMs,
            nowMs: t0Ms + leaseMs - 1,
          }),
          null,
        );
        const reclaimed = await store().claimJob({
          id: job!.id,
          workerId: 'w2',
          leaseMs,
          nowMs: t0Ms + leaseMs,
        });
        assert.equal(reclaimed?.leaseOwner, 'w2');
        assert.equal(reclaimed?.attempts, 2);
        assert.equal(
          await store().completeJob({
            id: job!.id,
            workerId: 'w1',
            result: resultFixture,
            nowMs: t0Ms + leaseMs,
          }),
          false,
        );
        assert.equal(
          await store().completeJob({
            id: job!.id,
            workerId: 'w2',
            result: resultFixture,
            nowMs: t0Ms + leaseMs,
          }),
          true,
        );
      });

      it('renewing moves the expiry so others cannot claim', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        assert.equal(
          await store().renewLease({
            id: job!.id,
            workerId: 'w1',
            leaseMs,
            nowMs: t0Ms + leaseMs - 1,
          }),
          true,
        );
        assert.equal(
          await store().claimJob({
            id: job!.id,
            workerId: 'w2',
            leaseMs,
            nowMs: t0Ms + leaseMs + 1,
          }),
          null,
        );
        assert.equal((await store().getJob(job!.id))?.leaseExpiresAtMs, t0Ms + 2 * leaseMs - 1);
      });

      it('release returns the job to queued without a lease; the next claim counts again', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        assert.equal(await store().releaseJob({ id: job!.id, workerId: 'w1' }), true);
        const released = await store().getJob(job!.id);
        assert.equal(released?.status, 'queued');
        assert.equal(released?.leaseOwner, null);
        assert.equal(released?.leaseExpiresAtMs, null);
        assert.equal(
          (await store().claimJob({ id: job!.id, workerId: 'w2', leaseMs, nowMs: t0Ms + 1 }))
            ?.attempts,
          2,
        );
      });
    });

    describe('completion', () => {
      it('complete stores the result once; a second completion is refused', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        assert.equal(
          await store().completeJob({
            id: job!.id,
            workerId: 'w1',
            result: resultFixture,
            nowMs: t0Ms + 9,
          }),
          true,
        );
        const other = { ...resultFixture, text: 'second' };
        assert.equal(
          await store().completeJob({
            id: job!.id,
            workerId: 'w1',
            result: other,
            nowMs: t0Ms + 10,
          }),
          false,
        );
        const done = await store().getJob(job!.id);
        assert.equal(done?.status, 'succeeded');
        assert.deepEqual(done?.result, resultFixture);
        assert.equal(done?.finishedAtMs, t0Ms + 9);
        assert.equal(done?.leaseOwner, null);
      });

      it('fail stores the error and the finish time', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        const error = { code: 'max_attempts', message: 'gave up after 5 deliveries' };
        assert.equal(await store().failJob({ id: job!.id, error, nowMs: t0Ms + 3 }), true);
        const failed = await store().getJob(job!.id);
        assert.deepEqual(failed?.error, error);
        assert.equal(failed?.finishedAtMs, t0Ms + 3);
      });
    });

    describe('cancel', () => {
      it('cancels a queued job at once', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        const canceled = await store().requestCancel({ id: job!.id, nowMs: t0Ms + 2 });
        assert.equal(canceled?.status, 'canceled');
        assert.equal(canceled?.finishedAtMs, t0Ms + 2);
        assert.equal(
          await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms + 3 }),
          null,
        );
      });

      it('flags a running job; its worker then marks it canceled', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        const flagged = await store().requestCancel({ id: job!.id, nowMs: t0Ms + 1 });
        assert.equal(flagged?.status, 'running');
        assert.equal(flagged?.cancelRequested, true);
        assert.equal(
          await store().markCanceled({ id: job!.id, workerId: 'w1', nowMs: t0Ms + 2 }),
          true,
        );
        const canceled = await store().getJob(job!.id);
        assert.equal(canceled?.status, 'canceled');
        assert.equal(canceled?.finishedAtMs, t0Ms + 2);
        assert.equal(canceled?.result, null);
      });

      it('keeps the partial result a worker hands to markCanceled', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        await store().requestCancel({ id: job!.id, nowMs: t0Ms + 1 });
        const partial: JobResult = {
          ...resultFixture,
          text: ' so far',
          completionTokens: 2,
          finishReason: 'canceled',
        };
        assert.equal(
          await store().markCanceled({
            id: job!.id,
            workerId: 'w2',
            nowMs: t0Ms + 2,
            result: partial,
          }),
          false,
        );
        assert.equal((await store().getJob(job!.id))?.result, null);
        assert.equal(
          await store().markCanceled({
            id: job!.id,
            workerId: 'w1',
            nowMs: t0Ms + 2,
            result: partial,
          }),
          true,
        );
        const canceled = await store().getJob(job!.id);
        assert.equal(canceled?.status, 'canceled');
        assert.equal(canceled?.leaseOwner, null);
        assert.deepEqual(canceled?.result, partial);
      });

      it('leaves a finished job as it is', async () => {
        const [job] = await store().createJobs([newJobFixture()]);
        await store().claimJob({ id: job!.id, workerId: 'w1', leaseMs, nowMs: t0Ms });
        await store().completeJob({
          id: job!.id,
          workerId: 'w1',
          result: resultFixture,
          nowMs: t0Ms,
        });
        const after = await store().requestCancel({ id: job!.id, nowMs: t0Ms + 1 });
        assert.equal(after?.status, 'succeeded');
        assert.equal(after?.cancelRequested, false);
      });
    });

    describe('batches', () => {
      async function createBatch(customIds: string[]) {
        const batchId = newBatchId();
        const jobs = customIds.map((customId, inputIndex) =>
          newJobFixture({ batchId, customId, inputIndex }),
        );
        await store().createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
        return { batchId, jobs };
      }

      it('stores the batch and its jobs together', async () => {
        const { batchId, jobs } = await createBatch(['a', 'b', 'c']);
        assert.deepEqual(await store().getBatch(batchId), batchFixture(batchId, 3));
        for (const job of jobs) {
          assert.equal((await store().getJob(job.id))?.batchId, batchId);
        }
      });

      it('lists jobs by custom_id (byte order), a page at a time', async () => {
        const customIds = ['item-10', 'item-2', 'B', 'a', 'item-1', 'Z'];
        const { batchId } = await createBatch(customIds);
        const expected = ['B', 'Z', 'a', 'item-1', 'item-10', 'item-2'];
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 10; page += 1) {
          const jobs = await store().listBatchJobs({ batchId, afterCustomId: cursor, limit: 4 });
          assert.ok(jobs.length <= 4);
          if (jobs.length === 0) {
            break;
          }
          seen.push(...jobs.map((job) => job.customId ?? ''));
          cursor = jobs.at(-1)?.customId ?? null;
        }
        assert.deepEqual(seen, expected);
        const customIdsAfter = async (cursor: string, limit: number) =>
          (await store().listBatchJobs({ batchId, afterCustomId: cursor, limit })).map(
            (job) => job.customId,
          );
        assert.deepEqual(await customIdsAfter('item-10', 5), ['item-2']);
        assert.deepEqual(
          await customIdsAfter('b', 2),
          ['item-1', 'item-10'],
          'any string is a cursor',
        );
        assert.deepEqual(await customIdsAfter('item-2', 5), []);
        assert.deepEqual(
          await store().listBatchJobs({ batchId: 'batch_missing', afterCustomId: null, limit: 10 }),
          [],
        );
      });

      it('lists a batch in input order, a page at a time, after the last inputIndex', async () => {
        const submitted = ['m', 'c', 'x', 'a', 'q', 'b', 'z'];
        const { batchId } = await createBatch(submitted);
        await createBatch(['other']);
        const seen: string[] = [];
        let cursor: number | null = null;
        for (let page = 0; page < 10; page += 1) {
          const jobs = await store().listBatchJobsInInputOrder({
            batchId,
            afterInputIndex: cursor,
            limit: 3,
          });
          if (jobs.length === 0) {
            break;
          }
          seen.push(...jobs.map((job) => job.customId ?? ''));
          cursor = jobs.at(-1)?.inputIndex ?? null;
        }
        assert.deepEqual(seen, submitted);
        const stored = await store().listBatchJobsInInputOrder({
          batchId,
          afterInputIndex: null,
          limit: 1,
        });
        assert.equal(stored[0]?.inputIndex, 0, 'the index is stored and read back');
        assert.deepEqual(
          await store().listBatchJobsInInputOrder({ batchId, afterInputIndex: 6, limit: 5 }),
          [],
        );
      });

      it('counts jobs by status, for the batch only', async () => {
        const { batchId, jobs } = await createBatch(['1', '2', '3', '4']);
        await createBatch(['x']);
        await store().claimJob({ id: jobs[0]!.id, workerId: 'w', leaseMs, nowMs: t0Ms });
        await store().claimJob({ id: jobs[1]!.id, workerId: 'w', leaseMs, nowMs: t0Ms });
        await store().completeJob({
          id: jobs[1]!.id,
          workerId: 'w',
          result: resultFixture,
          nowMs: t0Ms,
        });
        await store().requestCancel({ id: jobs[2]!.id, nowMs: t0Ms });
        assert.deepEqual(await store().countBatchJobs(batchId), {
          ...zeroCounts,
          queued: 1,
          running: 1,
          succeeded: 1,
          canceled: 1,
        });
        assert.deepEqual(await store().countBatchJobs('batch_missing'), zeroCounts);
      });

      it('cancelBatch cancels queued jobs, flags running ones and leaves finished ones', async () => {
        const { batchId, jobs } = await createBatch(['q', 'r', 's']);
        const [queued, running, done] = jobs.map((job) => job.id);
        await store().claimJob({ id: running!, workerId: 'w', leaseMs, nowMs: t0Ms });
        await store().claimJob({ id: done!, workerId: 'w', leaseMs, nowMs: t0Ms });
        await store().completeJob({ id: done!, workerId: 'w', result: resultFixture, nowMs: t0Ms });

        assert.equal(await store().cancelBatch({ batchId, nowMs: t0Ms + 1 }), 2);
        assert.equal((await store().getJob(queued!))?.status, 'canceled');
        assert.equal((await store().getJob(running!))?.cancelRequested, true);
        assert.equal((await store().getJob(done!))?.status, 'succeeded');
        assert.equal((await store().getBatch(batchId))?.cancelRequested, true);
        assert.equal(
          await store().cancelBatch({ batchId, nowMs: t0Ms + 2 }),
          0,
          'nothing left to change',
        );
      });
    });

    it('counts every job in the store by status', async () => {
      assert.deepEqual(await store().countJobs(), zeroCounts);
      const jobs = await store().createJobs([newJobFixture(), newJobFixture(), newJobFixture()]);
      const batchId = newBatchId();
      await store().createBatch({
        batch: batchFixture(batchId, 1),
        jobs: [newJobFixture({ batchId, customId: '1' })],
      });
      await store().claimJob({ id: jobs[0]!.id, workerId: 'w', leaseMs, nowMs: t0Ms });
      await store().failJob({ id: jobs[1]!.id, error: { code: 'x', message: 'y' }, nowMs: t0Ms });
      assert.deepEqual(await store().countJobs(), {
        ...zeroCounts,
        queued: 2,
        running: 1,
        failed: 1,
      });
    });

    it('tells when the oldest queued job was created, and null with none queued', async () => {
      assert.equal(await store().oldestQueuedAtMs(), null);
      const [older, , newest] = await store().createJobs([
        newJobFixture({ createdAtMs: t0Ms + 10 }),
        newJobFixture({ createdAtMs: t0Ms + 20 }),
        newJobFixture({ createdAtMs: t0Ms + 30 }),
      ]);
      const batchId = newBatchId();
      await store().createBatch({
        batch: batchFixture(batchId, 1),
        jobs: [newJobFixture({ batchId, customId: '1', createdAtMs: t0Ms + 15 })],
      });
      assert.equal(await store().oldestQueuedAtMs(), t0Ms + 10);
      // Claimed, it is no longer queued; the next oldest queued one counts.
      await store().claimJob({ id: older!.id, workerId: 'w', leaseMs, nowMs: t0Ms + 40 });
      assert.equal(await store().oldestQueuedAtMs(), t0Ms + 15);
      await store().cancelBatch({ batchId, nowMs: t0Ms + 41 });
      assert.equal(await store().oldestQueuedAtMs(), t0Ms + 20);
      await store().failJob({
        id: newest!.id,
        error: { code: 'x', message: 'y' },
        nowMs: t0Ms + 42,
      });
      assert.equal(await store().oldestQueuedAtMs(), t0Ms + 20);
    });
  });
}
