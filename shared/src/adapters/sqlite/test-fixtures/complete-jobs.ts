/**
 * Child process for the concurrent batch-completion test: claims and completes the given
 * jobs one by one on its own connection, as a worker process would.
 * Usage: node complete-jobs.ts DB_PATH WORKER_ID JOB_ID...
 */
import { SqliteJobStore } from '../sqlite-job-store.ts';

const [path, workerId, ...jobIds] = process.argv.slice(2);
if (path === undefined || workerId === undefined) {
  throw new Error('usage: complete-jobs.ts DB_PATH WORKER_ID JOB_ID...');
}
const store = SqliteJobStore.open(path);
const result = {
  text: 'x',
  promptTokens: 1,
  completionTokens: 1,
  finishReason: 'length' as const,
  timings: { queueMs: 0, generateMs: 1, tokensPerSecond: 1 },
};
for (const id of jobIds) {
  await store.claimJob({ id, workerId, leaseMs: 60_000, nowMs: Date.now() });
  await store.completeJob({ id, workerId, result, nowMs: Date.now() });
  // Yield so the two processes interleave their write transactions.
  await new Promise((resolve) => setImmediate(resolve));
}
await store.close();
