/**
 * Child process of the durability test: accepts jobs the way the API does (create in the
 * store, then publish) as fast as it can, on the database file given as argv[2], and prints
 * "accepted <id>" only after both commits. It runs until it is killed.
 */
import { batchFixture, newJobFixture } from '../../../contract/job-fixtures.ts';
import { newBatchId } from '../../../domain/ids.ts';
import { SqliteJobQueue } from '../sqlite-job-queue.ts';
import { SqliteJobStore } from '../sqlite-job-store.ts';

const path = process.argv[2];
if (path === undefined) {
  throw new Error('usage: accept-jobs-until-killed.ts <database file>');
}
const store = SqliteJobStore.open(path);
const queue = SqliteJobQueue.open(path, { maxAttempts: 5 });

for (let round = 0; ; round += 1) {
  let ids: string[];
  if (round % 10 === 9) {
    const batchId = newBatchId();
    const jobs = Array.from({ length: 40 }, (_, i) => newJobFixture({ batchId, customId: `${i}` }));
    await store.createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
    ids = jobs.map((job) => job.id);
  } else {
    // Every third round repeats an earlier idempotency key: as the API does, publish only
    // the jobs this call created, so a retried request never puts a job in the queue twice.
    const key = round % 3 === 0 ? `key-${round - 3}` : `key-${round}`;
    const inputs = [newJobFixture({ idempotencyKey: key }), newJobFixture()];
    const created = await store.createJobs(inputs);
    ids = created.filter((job, i) => job.id === inputs[i]?.id).map((job) => job.id);
  }
  await queue.publish(ids);
  process.stdout.write(ids.map((id) => `accepted ${id}\n`).join(''));
}
