import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { batchFixture, newJobFixture } from '../../contract/job-fixtures.ts';
import { newBatchId } from '../../domain/ids.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

/** Behaviour of the SQLite store beyond the port's contract. */
describe('SqliteJobStore', () => {
  let db: ReturnType<typeof temporaryDatabasePath>;
  let store: SqliteJobStore;
  beforeEach(() => {
    db = temporaryDatabasePath();
    store = SqliteJobStore.open(db.path);
  });
  afterEach(async () => {
    await store.close();
    db.remove();
  });

  it('refuses a batch whose custom_ids repeat, storing none of it', async () => {
    const batchId = newBatchId();
    const jobs = ['a', 'b', 'a'].map((customId) => newJobFixture({ batchId, customId }));
    await assert.rejects(store.createBatch({ batch: batchFixture(batchId, 3), jobs }), /UNIQUE/);
    assert.equal(await store.getBatch(batchId), null);
    assert.equal(await store.getJob(jobs[0]!.id), null);
  });

  it('round-trips prompts and JSON fields with any characters', async () => {
    const job = newJobFixture({
      prompt: 'Ünïcödé 🚀 "quotes" \\ back\nslash \u0000 nul',
      params: { ...newJobFixture().params, stop: ['🚀', '"'] },
      webhook: { url: 'https://example.test/?q="x"', events: ['job.succeeded', 'job.failed'] },
    });
    await store.createJobs([job]);
    const read = await store.getJob(job.id);
    assert.equal(read?.prompt, job.prompt);
    assert.deepEqual(read?.params, job.params);
    assert.deepEqual(read?.webhook, job.webhook);
  });

  it('stores and publishes a 10,000-item batch in well under a second or two', async () => {
    const batchId = newBatchId();
    const jobs = Array.from({ length: 10_000 }, (_, i) =>
      newJobFixture({ batchId, customId: `item-${i}` }),
    );
    const queue = SqliteJobQueue.open(db.path, { maxAttempts: 5 });
    try {
      const started = performance.now();
      await store.createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
      await queue.publish(jobs.map((job) => job.id));
      const elapsedMs = performance.now() - started;
      // Seen ~150-250 ms on 2 shared vCPU; one transaction per row would be several times slower.
      assert.ok(elapsedMs < 2_000, `took ${elapsedMs.toFixed(0)} ms`);
      assert.equal((await store.countBatchJobs(batchId)).queued, 10_000);
      assert.equal(await queue.depth(), 10_000);
    } finally {
      await queue.close();
    }
  });
});
