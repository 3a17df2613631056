/** The benchmark's competing worker: pulls, claims and completes jobs on argv[2] until killed. */
import { resultFixture } from '../../../contract/job-fixtures.ts';
import { SqliteJobQueue } from '../sqlite-job-queue.ts';
import { SqliteJobStore } from '../sqlite-job-store.ts';

const path = process.argv[2] as string;
const store = SqliteJobStore.open(path);
const queue = SqliteJobQueue.open(path, { maxAttempts: 5 });
for (;;) {
  const messages = await queue.pull(8, 60_000, 1_000);
  for (const message of messages) {
    await store.claimJob({
      id: message.jobId,
      workerId: 'bench-worker',
      leaseMs: 60_000,
      nowMs: Date.now(),
    });
    await store.completeJob({
      id: message.jobId,
      workerId: 'bench-worker',
      result: resultFixture,
      nowMs: Date.now(),
    });
    await queue.ack(message);
  }
}
