import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newBatchId } from '../domain/ids.ts';
import type { Job } from '../domain/job.ts';
import type { JobStore } from '../ports/job-store.ts';
import { batchFixture, newJobFixture, resultFixture, t0Ms } from './job-fixtures.ts';

const leaseMs = 30_000;

/**
 * retryBatch: a new attempt of a finished batch's failed and canceled rows, and nothing
 * else; refused while a row is open or when there is nothing to retry; the rows come back
 * queued and unpublished (the caller publishes them), and the batch counts the retry.
 */
export function describeRetryContract(getStore: () => JobStore): void {
  /** A finished batch: a succeeded, b failed, c canceled while queued, d canceled running. */
  async function finishedBatch(store: JobStore) {
    const batchId = newBatchId();
    const jobs = ['a', 'b', 'c', 'd'].map((customId, inputIndex) =>
      newJobFixture({ batchId, customId, inputIndex }),
    );
    await store.createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
    const [a, b, c, d] = jobs.map((job) => job.id) as [string, string, string, string];
    for (const id of [a, b, d]) {
      await store.claimJob({ id, workerId: 'w', leaseMs, nowMs: t0Ms + 1 });
    }
    await store.completeJob({ id: a, workerId: 'w', result: resultFixture, nowMs: t0Ms + 2 });
    await store.failJob({ id: b, error: { code: 'oom', message: 'x' }, nowMs: t0Ms + 2 });
    await store.requestCancel({ id: c, nowMs: t0Ms + 3 });
    await store.requestCancel({ id: d, nowMs: t0Ms + 3 });
    const partial = { ...resultFixture, finishReason: 'canceled' as const };
    await store.markCanceled({ id: d, workerId: 'w', nowMs: t0Ms + 4, result: partial });
    await store.markPublished({ ids: [a, b, c, d], nowMs: t0Ms + 1 });
    return { batchId, ids: { a, b, c, d }, byId: new Map(jobs.map((job) => [job.id, job])) };
  }

  it('re-queues only the failed and canceled rows, as new, keeping what they were', async () => {
    const store = getStore();
    const { batchId, ids, byId } = await finishedBatch(store);
    const before = await store.getJob(ids.a);

    const outcome = await store.retryBatch({ batchId, nowMs: t0Ms + 100 });
    assert.equal(outcome.outcome, 'retried');
    assert.ok(outcome.outcome === 'retried');
    assert.deepEqual([...outcome.jobIds].sort(), [ids.b, ids.c, ids.d].sort());
    assert.equal(outcome.batch.retries, 1);
    assert.equal(outcome.batch.cancelRequested, false, 'a canceled batch runs again');

    for (const id of [ids.b, ids.c, ids.d]) {
      const job = (await store.getJob(id)) as Job;
      const submitted = byId.get(id);
      assert.ok(submitted);
      assert.deepEqual(
        {
          status: job.status,
          attempts: job.attempts,
          cancelRequested: job.cancelRequested,
          result: job.result,
          error: job.error,
          startedAtMs: job.startedAtMs,
          finishedAtMs: job.finishedAtMs,
          leaseOwner: job.leaseOwner,
          retries: job.retries,
          retriedAtMs: job.retriedAtMs,
        },
        {
          status: 'queued',
          attempts: 0,
          cancelRequested: false,
          result: null,
          error: null,
          startedAtMs: null,
          finishedAtMs: null,
          leaseOwner: null,
          retries: 1,
          retriedAtMs: t0Ms + 100,
        },
      );
      assert.deepEqual(
        [job.customId, job.prompt, job.params, job.inputIndex, job.createdAtMs],
        [submitted.customId, submitted.prompt, submitted.params, submitted.inputIndex, t0Ms],
      );
    }
    assert.deepEqual(await store.getJob(ids.a), before, 'the succeeded row is untouched');
    const batch = await store.getBatch(batchId);
    assert.equal(batch?.retries, 1);
    assert.equal(batch?.cancelRequested, false);
    assert.deepEqual(await store.countBatchJobs(batchId), {
      queued: 3,
      running: 0,
      succeeded: 1,
      failed: 0,
      canceled: 0,
    });
  });

  it('leaves the re-queued rows unpublished, listed once as old as the cutoff after the retry', async () => {
    const store = getStore();
    const { batchId, ids } = await finishedBatch(store);
    await store.retryBatch({ batchId, nowMs: t0Ms + 1_000 });
    assert.deepEqual(
      await store.listUnpublished({ createdBeforeMs: t0Ms + 999, limit: 10 }),
      [],
      'created long ago, but retried after the cutoff: its request may still be publishing',
    );
    const listed = await store.listUnpublished({ createdBeforeMs: t0Ms + 1_000, limit: 10 });
    assert.deepEqual([...listed].sort(), [ids.b, ids.c, ids.d].sort());
    await store.markPublished({ ids: listed, nowMs: t0Ms + 1_001 });
    assert.deepEqual(await store.listUnpublished({ createdBeforeMs: t0Ms + 2_000, limit: 10 }), []);
  });

  it('refuses while a row is open, when nothing failed, and for an unknown batch', async () => {
    const store = getStore();
    const { batchId, ids } = await finishedBatch(store);
    assert.equal((await store.retryBatch({ batchId, nowMs: t0Ms + 10 })).outcome, 'retried');
    assert.equal(
      (await store.retryBatch({ batchId, nowMs: t0Ms + 11 })).outcome,
      'open',
      'the retried rows are queued',
    );
    await store.claimJob({ id: ids.b, workerId: 'w', leaseMs, nowMs: t0Ms + 12 });
    assert.equal((await store.retryBatch({ batchId, nowMs: t0Ms + 13 })).outcome, 'open');
    for (const id of [ids.b, ids.c, ids.d]) {
      await store.claimJob({ id, workerId: 'w', leaseMs, nowMs: t0Ms + 14 });
      await store.completeJob({ id, workerId: 'w', result: resultFixture, nowMs: t0Ms + 15 });
    }
    assert.equal(
      (await store.retryBatch({ batchId, nowMs: t0Ms + 16 })).outcome,
      'nothing_to_retry',
    );
    assert.equal((await store.getBatch(batchId))?.retries, 1, 'a refused retry changes nothing');
    assert.equal(
      (await store.retryBatch({ batchId: 'batch_missing', nowMs: t0Ms })).outcome,
      'not_found',
    );
  });

  it('retries again after the retried rows fail again, and two racing retries queue each row once', async () => {
    const store = getStore();
    const { batchId, ids } = await finishedBatch(store);
    await store.retryBatch({ batchId, nowMs: t0Ms + 10 });
    for (const id of [ids.b, ids.c, ids.d]) {
      await store.claimJob({ id, workerId: 'w', leaseMs, nowMs: t0Ms + 11 });
      await store.failJob({ id, error: { code: 'x', message: 'y' }, nowMs: t0Ms + 12 });
    }
    const outcomes = await Promise.all([
      store.retryBatch({ batchId, nowMs: t0Ms + 20 }),
      store.retryBatch({ batchId, nowMs: t0Ms + 20 }),
    ]);
    const queued = outcomes.flatMap((outcome) =>
      outcome.outcome === 'retried' ? outcome.jobIds : [],
    );
    assert.deepEqual([...queued].sort(), [ids.b, ids.c, ids.d].sort(), 'each row once');
    assert.equal((await store.getBatch(batchId))?.retries, 2);
    assert.equal((await store.getJob(ids.b))?.retries, 2);
    assert.equal((await store.getJob(ids.a))?.retries, 0);
  });

  it('keeps a batch usage sum only for the retry it was read on', async () => {
    const store = getStore();
    const { batchId } = await finishedBatch(store);
    const usage = { promptTokens: 8, completionTokens: 10 };
    assert.equal(await store.setBatchUsage({ batchId, retries: 0, usage }), true);
    assert.deepEqual((await store.getBatch(batchId))?.usage, usage);
    await store.retryBatch({ batchId, nowMs: t0Ms + 10 });
    assert.equal((await store.getBatch(batchId))?.usage, null, 'a retry clears the sum');
    assert.equal(
      await store.setBatchUsage({ batchId, retries: 0, usage }),
      false,
      'a sum read before the retry',
    );
    assert.equal((await store.getBatch(batchId))?.usage, null);
    assert.equal(await store.setBatchUsage({ batchId, retries: 1, usage }), true);
    assert.equal(await store.setBatchUsage({ batchId: 'batch_missing', retries: 0, usage }), false);
  });
}
